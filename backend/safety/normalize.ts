/**
 * Turns a prompt into the forms that term lists are matched against: lower-case ASCII words
 * separated by single spaces, one form per line. Several forms exist because some obfuscations
 * are ambiguous ("1" may stand for "i" or "l"; "a n u d e" may be "anude" or "a nude"), and
 * matching all of them is simpler and safer than guessing one.
 *
 * Written by hand: the npm profanity filters each bundle their own English word list and
 * their own notion of categories, and none handles spaced-out letters or our level scheme.
 */
import { z } from "zod";

export const normalizationSchema = z
  .object({
    $comment: z.string().optional(),
    /** One character → the Latin letters it imitates (Cyrillic/Greek look-alikes, stroked letters). */
    confusables: z.record(
      z.string().length(1, "keys must be one character"),
      z.string().regex(/^[a-zA-Z]+$/)
    ),
    /** One symbol or digit → the letters it may stand for, the most likely first. */
    leet: z.record(
      z.string().length(1, "keys must be one character"),
      z.array(z.string().regex(/^[a-z]$/)).min(1)
    ),
    /** Leet symbols that are ordinary punctuation at the start or end of a word ("wow!"). */
    leetInsideWordOnly: z.array(z.string().length(1)),
    /** Letters tried in place of one "*" inside a word ("f*ck"). */
    wildcardLetters: z.string().regex(/^[a-z]+$/),
    spacedLetters: z.object({
      /** Fewest single letters in a row that are read as one spelled-out word ("f u c k"). */
      minRun: z.number().int().min(3),
      /** One-letter words that may stand before a spelled-out word ("a n u d e"). */
      leadingWords: z.array(z.string().regex(/^[a-z]$/)),
    }),
  })
  .strict();
export type NormalizationRules = z.infer<typeof normalizationSchema>;

/** NFKC, invisible characters dropped, look-alikes mapped, lower case, accents dropped. */
export function foldCharacters(text: string, confusables: Record<string, string>): string {
  const noInvisible = text.normalize("NFKC").replace(/\p{Cf}/gu, "");
  // Look-alikes before lower-casing: Greek capital Ν looks like N, its lower case ν like v.
  const mapped = Array.from(noInvisible, (ch) => confusables[ch] ?? ch).join("");
  return mapped.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
}

/** Folds a term from a data file the same way, keeping "*" (prefix wildcard) and spaces. */
export function normalizeTerm(term: string, confusables: Record<string, string> = {}): string {
  return foldCharacters(term, confusables)
    .replace(/[^a-z0-9*]+/g, " ")
    .trim();
}

export class Normalizer {
  private readonly wordChar: RegExp;
  private readonly nonWordChars: RegExp;
  private readonly leetChar: RegExp;
  private readonly leetVariants: number;

  /**
   * `ingWords`: words ending in "ing" that the term lists use; a word written without its "g"
   * ("stabbin", "gettin'") is also read as one of them.
   */
  constructor(
    private readonly rules: NormalizationRules,
    private readonly ingWords: ReadonlySet<string> = new Set()
  ) {
    const symbols = Object.keys(rules.leet).filter((c) => !/[a-z0-9]/.test(c));
    const cls = "a-z0-9" + symbols.map(escapeClassChar).join("");
    this.wordChar = new RegExp(`[${cls}]`);
    this.nonWordChars = new RegExp(`[^${cls}]+`);
    this.leetChar = new RegExp(`[${Object.keys(rules.leet).map(escapeClassChar).join("")}]`);
    this.leetVariants = Math.max(1, ...Object.values(rules.leet).map((alts) => alts.length));
  }

  /** All forms of `text`, one per line, ready for word-boundary matching. */
  searchable(text: string): string {
    const folded = foldCharacters(text, this.rules.confusables);
    const wildcards: string[] = [];
    // Each word with the width of the gap before it, so that spelled-out words set apart by a
    // wider gap ("n s f w   n a k e d") are read as separate words.
    const words: string[] = [];
    const gaps: number[] = [];
    let gap = 0;
    for (const part of folded.split(/(\s+)/)) {
      const pieces = /^\s*$/.test(part) ? [] : this.splitWord(part, wildcards);
      // A chunk of punctuation alone widens the gap like the spaces around it.
      if (!pieces.length) gap += part.length;
      pieces.forEach((piece, k) => {
        words.push(piece);
        gaps.push(k === 0 ? gap : 1);
      });
      if (pieces.length) gap = 0;
    }

    const forms = new Set<string>();
    for (const joined of this.joinSpacedLetters(words, gaps)) {
      for (const form of [joined, ...this.leetForms(joined)]) {
        const text = form.join(" ");
        forms.add(text);
        // Stretched letters: "nuuuude" → "nude"; "killlll" → "kill". Runs of two stay as written.
        forms.add(text.replace(/([a-z])\1{2,}/g, "$1"));
        forms.add(text.replace(/([a-z])\1{2,}/g, "$1$1"));
      }
    }
    // A dropped "g" ("stabbin", "gettin'") on the plain form, only where the word with its "g"
    // is one the term lists use, so "chain" or "robin" never change.
    const plain = [...forms][0] ?? "";
    const withG = plain.replace(/(?<![a-z0-9])([a-z]{2,}in)(?![a-z0-9])/g, (word) =>
      this.ingWords.has(word + "g") ? word + "g" : word
    );
    if (withG !== plain) forms.add(withG);
    for (const w of wildcards) {
      forms.add(
        Array.from(this.rules.wildcardLetters, (letter) => w.replace("*", letter)).join(" ")
      );
    }
    return [...forms].join("\n");
  }

  /** One whitespace-separated chunk → words; "n.u.d.e" → ["nude"], "self-harm" → ["self", "harm"]. */
  private splitWord(raw: string, wildcards: string[]): string[] {
    const edge = this.rules.leetInsideWordOnly;
    let start = 0;
    let end = raw.length;
    while (start < end && (!this.wordChar.test(raw[start]) || edge.includes(raw[start]))) start++;
    while (end > start && (!this.wordChar.test(raw[end - 1]) || edge.includes(raw[end - 1]))) end--;
    const word = raw.slice(start, end);
    if (/^[a-z]+\*[a-z]+$/.test(word)) {
      wildcards.push(word);
      return [];
    }
    const pieces = word.split(this.nonWordChars).filter(Boolean);
    if (pieces.length >= 2 && pieces.every((p) => p.length === 1)) return [pieces.join("")];
    return pieces;
  }

  /**
   * Runs of single characters ("f u c k") become one word. A run that starts with a one-letter
   * word ("a n u d e") is also tried with that word kept apart. Shorter runs stay as they are,
   * so "I am" or "a b" never merge. A run whose letters are set apart by gaps of two widths
   * ("n s f w   n a k e d") is split at the wider gaps, and also tried joined whole.
   */
  private joinSpacedLetters(words: string[], gaps: number[]): string[][] {
    const { minRun, leadingWords } = this.rules.spacedLetters;
    const whole: string[] = [];
    const leadApart: string[] = [];
    const unsplit: string[] = [];
    for (let i = 0; i < words.length;) {
      let j = i;
      while (j < words.length && words[j].length === 1) j++;
      if (j - i >= minRun) {
        const run = words.slice(i, j);
        const narrowest = Math.min(...gaps.slice(i + 1, j));
        const pieces = [run[0]];
        for (let k = 1; k < run.length; k++) {
          if (gaps[i + k] > narrowest) pieces.push(run[k]);
          else pieces[pieces.length - 1] += run[k];
        }
        whole.push(...pieces);
        unsplit.push(run.join(""));
        if (leadingWords.includes(run[0]) && pieces[0].length > 1)
          leadApart.push(run[0], pieces[0].slice(1), ...pieces.slice(1));
        else leadApart.push(...pieces);
        i = j;
      } else {
        whole.push(words[i]);
        leadApart.push(words[i]);
        unsplit.push(words[i]);
        i++;
      }
    }
    const same = (a: string[], b: string[]) =>
      a.length === b.length && a.every((w, k) => w === b[k]);
    return [
      whole,
      ...(same(whole, leadApart) ? [] : [leadApart]),
      ...(same(whole, unsplit) ? [] : [unsplit]),
    ];
  }

  /** Leet read back into letters, once per alternative ("1" → "i", then "1" → "l"). */
  private leetForms(words: string[]): string[][] {
    const forms: string[][] = [];
    for (let k = 0; k < this.leetVariants; k++) {
      const form = words.map((w) => {
        // Only words that also have a real letter: "1990" and "50" stay numbers.
        if (!/[a-z]/.test(w) || !this.leetChar.test(w)) return w;
        return Array.from(w, (ch) => {
          const alts = this.rules.leet[ch];
          return alts ? alts[Math.min(k, alts.length - 1)] : ch;
        }).join("");
      });
      // Symbols that are not letters after all are dropped: "e@rth" → "earth", "$" → "s".
      forms.push(form.map((w) => w.replace(/[^a-z0-9]+/g, "")));
    }
    return forms;
  }
}

function escapeClassChar(ch: string): string {
  return /[\\\][^-]/.test(ch) ? "\\" + ch : ch;
}
