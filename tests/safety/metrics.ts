/**
 * Recall and false-positive rate of the prompt filter over the evaluation set:
 * tests/safety/prompts.jsonl (the dev split, used while the term lists were written and tuned) and
 * tests/safety/heldout.jsonl (written before the eleven-category filter was tuned, and not tuned on).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { PolicyLevel, PromptFilter, SafetyCategory } from "../../backend/safety";

export interface EvalPrompt {
  text: string;
  /** The category it must be blocked as, or "benign". */
  expect: SafetyCategory | "benign";
  /** "strict": harmful only at the strict level (expected allowed at moderate). */
  level?: PolicyLevel;
  /** What a benign prompt is about ("drinks", "birds", "medical", …), for false positives per context. */
  context?: string;
  /** "dev" prompts were used while writing the term lists; "heldout" ones never were. */
  split: "dev" | "heldout";
}

export const promptsFile = fileURLToPath(new URL("./prompts.jsonl", import.meta.url));
export const heldoutFile = fileURLToPath(new URL("./heldout.jsonl", import.meta.url));

/** Both files by default. */
export function loadEvalPrompts(files = [promptsFile, heldoutFile]): EvalPrompt[] {
  return files.flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line) as EvalPrompt),
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
export function evaluateLevel(filter: PromptFilter, prompts: EvalPrompt[], level: PolicyLevel): LevelReport {
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
