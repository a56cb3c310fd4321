/**
 * Term syntax of the data files, compiled to regular expressions over normalised text
 * (see normalize.ts):
 *   "nude"           the whole word only ("nudes" and "denude" do not match)
 *   "decapitat*"     any word starting with "decapitat"
 *   "self harm"      the words in order, with or without the space ("self-harm", "selfharm")
 *   "/re/"           a JavaScript regular expression over the normalised text, for the rare
 *                    case a word list cannot say (ages such as "12 year old")
 */
import { normalizeTerm } from "./normalize";

const WORD = /^[a-z0-9]+\*?$/;

/** Regex source for one term, or an error message for an admin. */
export function termSource(term: string, confusables: Record<string, string>): { source: string } | { error: string } {
  if (term.length > 2 && term.startsWith("/") && term.endsWith("/")) {
    const source = term.slice(1, -1);
    try {
      new RegExp(source);
    } catch (err) {
      return { error: `"${term}" is not a valid regular expression (${(err as Error).message})` };
    }
    return { source };
  }
  const words = normalizeTerm(term, confusables).split(" ").filter(Boolean);
  if (words.length === 0) return { error: `"${term}" has no letters or digits` };
  const bad = words.find((w) => !WORD.test(w));
  if (bad) return { error: `"${term}": "*" may only end a word` };
  return { source: words.map((w) => (w.endsWith("*") ? w.slice(0, -1) + "[a-z]*" : w)).join(" ?") };
}

/** One regex matching any of the sources as whole words; longest first so masks cover whole phrases. */
export function unionRegex(sources: string[], flags = ""): RegExp {
  const sorted = [...new Set(sources)].sort((a, b) => b.length - a.length);
  return new RegExp(`(?<![a-z0-9])(?:${sorted.map((s) => `(?:${s})`).join("|")})(?![a-z0-9])`, flags);
}
