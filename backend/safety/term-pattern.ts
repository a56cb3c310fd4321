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
  list?: ListSource
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
      if (parts.length === 0 || index === tokens.length - 1)
        return { error: `"${term}": "~N" goes between two words` };
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
  return wholeWords(
    sorted.map((s) => `(?:${s})`),
    flags,
    notAfter
  );
}

function wholeWords(alternatives: string[], flags = "", notAfter?: string): RegExp {
  // A term directly after one of the `notAfter` words does not match ("having sex on the beach").
  const guard = notAfter ? `(?<!(?<![a-z0-9])(?:${notAfter}) )` : "";
  return new RegExp(`${guard}(?<![a-z0-9])(?:${alternatives.join("|")})(?![a-z0-9])`, flags);
}

/** Whether any of a list of terms occurs in a text, and which words matched. */
export interface TermMatcher {
  test(text: string): boolean;
  /** The first match, or undefined. */
  match(text: string): string | undefined;
}

/** Matches when any of the matchers does; the first one's match is reported. */
export function anyOf(matchers: TermMatcher[]): TermMatcher {
  if (matchers.length === 1) return matchers[0];
  return {
    test: (text) => matchers.some((m) => m.test(text)),
    match: (text) => {
      for (const m of matchers) {
        const found = m.match(text);
        if (found !== undefined) return found;
      }
      return undefined;
    },
  };
}

/**
 * V8 stops optimising a regular expression whose source is over 20 kB, and one of the broad
 * term lists compiles to several times that; a matcher made of pieces under this size runs
 * tens of times faster than the same alternatives in one regular expression.
 */
const PIECE_CHARS = 12_000;

/**
 * A matcher for testing (not for masking): the sources with shared leading or trailing lists
 * factored out, in pieces that V8 still optimises.
 */
export function termMatcher(sources: string[]): TermMatcher {
  const sorted = [...new Set(sources)].sort((a, b) => b.length - a.length);
  const pieces: string[][] = [[]];
  let size = 0;
  for (const alternative of factorLeadingGroups(sorted)) {
    if (size + alternative.length > PIECE_CHARS && pieces[pieces.length - 1].length) {
      pieces.push([]);
      size = 0;
    }
    pieces[pieces.length - 1].push(alternative);
    size += alternative.length + 1;
  }
  const regexes = pieces.map((p) => wholeWords(p));
  return {
    test: (text) => regexes.some((r) => r.test(text)),
    match: (text) => {
      for (const r of regexes) {
        const m = text.match(r);
        if (m) return m[0];
      }
      return undefined;
    },
  };
}

/**
 * Sources that start with the same "(?:…)" group share one copy of it ("G(?:restA|restB)"), and
 * so do the rest that end with the same group ("(?:headA|headB)G"): a list that leads or ends many
 * phrases ("@humans ~1 being ~1 …") is then tried once per word rather than once per phrase.
 * Which phrase matches may change; whether one does cannot.
 */
function factorLeadingGroups(sources: string[]): string[] {
  const leading = new Map<string, string[]>();
  const trailing = new Map<string, string[]>();
  const order: Array<{ lead: string } | { trail: string } | string> = [];
  for (const source of sources) {
    // A regular expression from the data files may have a "|" of its own: it stays whole.
    if (hasTopLevelBar(source)) {
      order.push(`(?:${source})`);
      continue;
    }
    const end = source.startsWith("(?:") ? closingParen(source, 0) : -1;
    // A group with a quantifier after it ("(?: word)+") stays with its quantifier.
    if (end > 0 && end < source.length - 1 && !/^[*+?{]/.test(source.slice(end + 1))) {
      const group = source.slice(0, end + 1);
      if (!leading.has(group)) order.push({ lead: group });
      leading.set(group, [...(leading.get(group) ?? []), source.slice(end + 1)]);
      continue;
    }
    const start = lastGroupStart(source);
    if (start > 0) {
      const group = source.slice(start);
      if (!trailing.has(group)) order.push({ trail: group });
      trailing.set(group, [...(trailing.get(group) ?? []), source.slice(0, start)]);
      continue;
    }
    order.push(`(?:${source})`);
  }
  const alternation = (parts: string[]) =>
    [...new Set(parts)]
      .sort((x, y) => y.length - x.length)
      .map((r) => `(?:${r})`)
      .join("|");
  return order.map((o) => {
    if (typeof o === "string") return o;
    if ("lead" in o) return `(?:${o.lead}(?:${alternation(leading.get(o.lead)!)}))`;
    return `(?:(?:${alternation(trailing.get(o.trail)!)})${o.trail})`;
  });
}

/** Where the "(?:…)" group that ends the source starts, or -1 (also when a quantifier ends it). */
function lastGroupStart(source: string): number {
  if (!source.endsWith(")")) return -1;
  let start = -1;
  for (let i = 0; i < source.length; i++) {
    if (source.startsWith("(?:", i)) {
      const end = closingParen(source, i);
      if (end === source.length - 1) return i;
      if (end > i) i = end;
    } else if (source[i] === "\\") i++;
    else if (source[i] === "[") i = source.indexOf("]", i + 1);
    else if (source[i] === "(") return -1;
    if (i < 0) return -1;
  }
  return start;
}

function hasTopLevelBar(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") i++;
    else if (inClass) inClass = ch !== "]";
    else if (ch === "[") inClass = true;
    else if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "|" && depth === 0) return true;
  }
  return false;
}

/** Index of the ")" closing the group that opens at `open`, or -1. */
function closingParen(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const ch = source[i];
    if (ch === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
      continue;
    }
    if (ch === "[") inClass = true;
    else if (ch === "(") depth++;
    else if (ch === ")" && --depth === 0) return i;
  }
  return -1;
}
