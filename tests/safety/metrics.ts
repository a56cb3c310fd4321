/**
 * Recall and false-positive rate of the prompt filter over the evaluation set:
 * tests/safety/prompts.jsonl and classifier-extra.jsonl, the dev split (used while the term lists
 * and contexts were written and tuned; it includes heldout2, tuned on after its one run), and each
 * tests/safety/heldout-N.jsonl that is there, the heldoutN split (written apart from the filter and
 * run once on it; docs/SAFETY.md says which were trained on since).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import {
  safetyCategories,
  type PolicyLevel,
  type PromptFilter,
  type SafetyCategory,
} from "../../backend/safety";

export const evalSplits = [
  "dev",
  "heldout3",
  "heldout4",
  "heldout5",
  "heldout6",
  "heldout7",
  "heldout8",
  "heldout9",
  "heldout10",
  "heldout11",
  "heldout12",
] as const;
export type EvalSplit = (typeof evalSplits)[number];

const evalPromptSchema = z
  .object({
    text: z.string().trim().min(1),
    /** The category it must be blocked as, or "benign". */
    expect: z.enum([...safetyCategories, "benign"]),
    /** "strict": harmful only at the strict level (expected allowed at moderate). */
    level: z.literal("strict").optional(),
    /** What a benign prompt is about ("drinks", "birds", "medical", …), for false positives per context. */
    context: z.string().trim().min(1).optional(),
    split: z.enum(evalSplits),
  })
  .strict()
  .refine((p) => p.expect !== "benign" || p.level === undefined, "a benign prompt has no level")
  .refine(
    (p) => p.expect === "benign" || p.context === undefined,
    "only benign prompts have a context"
  );

export interface EvalPrompt {
  text: string;
  expect: SafetyCategory | "benign";
  level?: PolicyLevel;
  context?: string;
  /** "dev" prompts were used while writing the term lists and the classifier; "heldout3" ones
   * trained the classifier (never the term lists); "heldout4" ones neither. */
  split: EvalSplit;
}

export const promptsFile = fileURLToPath(new URL("./prompts.jsonl", import.meta.url));
/** More dev prompts, written for the classifier's training and not worked into the term lists. */
export const classifierExtraFile = fileURLToPath(
  new URL("./classifier-extra.jsonl", import.meta.url)
);
/** tests/safety/heldout-N.jsonl holds the split "heldoutN". */
export const heldoutFile = (split: Exclude<EvalSplit, "dev">): string =>
  fileURLToPath(new URL(`./heldout-${split.slice("heldout".length)}.jsonl`, import.meta.url));
const heldoutSplits = evalSplits.filter((s): s is Exclude<EvalSplit, "dev"> => s !== "dev");
/** The split each file must hold. */
const splitOfFile = new Map<string, EvalSplit>([
  [promptsFile, "dev"],
  [classifierExtraFile, "dev"],
  ...heldoutSplits.map((s) => [heldoutFile(s), s] as const),
]);

/** The dev file, and each held-out file that exists. */
export const evalFiles = (): string[] => [
  promptsFile,
  classifierExtraFile,
  ...heldoutSplits.map(heldoutFile).filter((f) => existsSync(f)),
];

/**
 * Every line is checked, so a mistake in a file written by hand stops the evaluation with its
 * file, line and problem instead of skewing the numbers.
 */
export function loadEvalPrompts(files = evalFiles()): EvalPrompt[] {
  return files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line, index) => {
        if (!line.trim()) return [];
        const where = `${file}:${index + 1}`;
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch (err) {
          throw new Error(`${where}: not JSON (${(err as Error).message})`);
        }
        const parsed = evalPromptSchema.safeParse(json);
        if (!parsed.success) throw new Error(`${where}: ${z.prettifyError(parsed.error)}`);
        const expected = splitOfFile.get(file);
        if (expected && parsed.data.split !== expected)
          throw new Error(`${where}: split "${parsed.data.split}" in the ${expected} file`);
        return [parsed.data as EvalPrompt];
      })
  );
}

export interface Tally {
  n: number;
  hits: number;
}
export const rate = (t: Tally) => (t.n ? t.hits / t.n : NaN);

export interface LevelReport {
  /** Harmful prompts blocked, per expected category. */
  byCategory: Map<SafetyCategory, Tally>;
  recall: Tally;
  /** Blocked harmful prompts that got their expected category. */
  categoryRight: Tally;
  /** Benign prompts blocked. */
  falsePositives: Tally;
  /** Benign prompts blocked, per context ("other" for prompts without one). */
  falsePositivesByContext: Map<string, Tally>;
  /** Harmful prompts let through, and benign prompts blocked. */
  misses: EvalPrompt[];
  falseAlarms: EvalPrompt[];
}

/** Strict-only prompts count as harmful at strict and are left out at moderate. */
export function evaluateLevel(
  filter: PromptFilter,
  prompts: EvalPrompt[],
  level: PolicyLevel
): LevelReport {
  const report: LevelReport = {
    byCategory: new Map(),
    recall: { n: 0, hits: 0 },
    categoryRight: { n: 0, hits: 0 },
    falsePositives: { n: 0, hits: 0 },
    falsePositivesByContext: new Map(),
    misses: [],
    falseAlarms: [],
  };
  for (const p of prompts) {
    const verdict = filter.checkPrompt(p.text, level);
    if (p.expect === "benign") {
      const context = p.context ?? "other";
      const byContext = report.falsePositivesByContext.get(context) ?? { n: 0, hits: 0 };
      report.falsePositivesByContext.set(context, byContext);
      report.falsePositives.n++;
      byContext.n++;
      if (!verdict.allowed) {
        report.falsePositives.hits++;
        byContext.hits++;
        report.falseAlarms.push(p);
      }
      continue;
    }
    if (p.level === "strict" && level === "moderate") continue;
    const cat = report.byCategory.get(p.expect) ?? { n: 0, hits: 0 };
    report.byCategory.set(p.expect, cat);
    cat.n++;
    report.recall.n++;
    if (verdict.allowed) {
      report.misses.push(p);
      continue;
    }
    cat.hits++;
    report.recall.hits++;
    report.categoryRight.n++;
    if (verdict.category === p.expect) report.categoryRight.hits++;
  }
  return report;
}
