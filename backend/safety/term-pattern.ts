/**
 * Term syntax of the data files, compiled to regular expressions over normalised text
 * (see normalize.ts):
 *   "nude"             the whole word only ("nudes" and "denude" do not match)
 *   "decapitat*"       any word starting with "decapitat"
 *   "self harm"        the words in order, with or without the space ("self-harm", "selfharm")
 *   "fake @documents"  inside a phrase, "@name" stands for any term of that list
 *   "fake ~2 passport" inside a phrase, "~N" stands for up to N other words ("fake us passport")
 *   "/re/"             a JavaScript regular expression over the normalised text, for the rare
 *                      case a word list cannot say (ages such as "12 year old")
 */
import { normalizeTerm } from "./normalize";

const WORD = /^[a-z0-9]+\*?$/;
const GAP = /^~([1-9])$/;
const SLOT = /^@([a-z_]+)$/;

/** Regex source of a whole list (an alternation), for a "@name" slot inside a phrase. */
export type ListSource = (name: string) => { source: string } | { error: string };

/** Regex source for one term, or an error message for an admin. */
export function termSource(
  term: string,
  confusables: Record<string, string>,
  list?: ListSource,
): { source: string } | { error: string } {
  if (term.length > 2 && term.startsWith("/") && term.endsWith("/")) {
    const source = term.slice(1, -1);
    try {
      new RegExp(source);
    } catch (err) {
      return { error: `"${term}" is not a valid regular expression (${(err as Error).message})` };
    }
    return { source };
  }
  // Slots and gaps are pulled out before folding, which would drop "@" and "~".
  const tokens = term.trim().split(/\s+/);
  const parts: string[] = [];
  let plain: string[] = [];
  const flush = (): string | undefined => {
    if (!plain.length) return undefined;
    const words = normalizeTerm(plain.join(" "), confusables).split(" ").filter(Boolean);
    plain = [];
    if (words.length === 0) return `"${term}" has no letters or digits`;
    const bad = words.find((w) => !WORD.test(w));
    if (bad) return `"${term}": "*" may only end a word`;
    parts.push(...words.map((w) => (w.endsWith("*") ? w.slice(0, -1) + "[a-z]*" : w)));
    return undefined;
  };
  for (const [index, token] of tokens.entries()) {
    const gap = GAP.exec(token);
    const slot = SLOT.exec(token);
    if (!gap && !slot) {
      plain.push(token);
      continue;
    }
    const problem = flush();
    if (problem) return { error: problem };
    if (gap) {
      if (parts.length === 0 || index === tokens.length - 1) return { error: `"${term}": "~N" goes between two words` };
      parts.push(`~${gap[1]}`);
    } else {
      if (tokens.length === 1) return { error: `"${term}": a list on its own is not a phrase` };
      if (!list) return { error: `"${term}": lists cannot be used inside phrases here` };
      const inner = list(slot![1]);
      if ("error" in inner) return inner;
      parts.push(`(?:${inner.source})`);
    }
  }
  const problem = flush();
  if (problem) return { error: problem };
  if (parts.length === 0) return { error: `"${term}" has no letters or digits` };
  // Words are joined with an optional space ("selfharm"); a gap takes whole words only.
  let source = "";
  for (const [i, part] of parts.entries()) {
    const gap = /^~(\d)$/.exec(part);
    if (gap) source += `(?: [a-z0-9]+){0,${gap[1]}}`;
    else source += (i === 0 || parts[i - 1].startsWith("~") ? (i === 0 ? "" : " ") : " ?") + part;
  }
  return { source };
}

/** One regex matching any of the sources as whole words; longest first so masks cover whole phrases. */
export function unionRegex(sources: string[], flags = "", notAfter?: string): RegExp {
  const sorted = [...new Set(sources)].sort((a, b) => b.length - a.length);
  // A term directly after one of the `notAfter` words does not match ("having sex on the beach").
  const guard = notAfter ? `(?<!(?<![a-z0-9])(?:${notAfter}) )` : "";
  return new RegExp(`${guard}(?<![a-z0-9])(?:${sorted.map((s) => `(?:${s})`).join("|")})(?![a-z0-9])`, flags);
}
