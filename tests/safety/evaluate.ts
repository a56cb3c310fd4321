/**
 * Prints recall per category, overall recall and false-positive rate (overall and per context of
 * the benign prompts) of the prompt filter, for both policy levels, on the dev split, the heldout3
 * split (tests/safety/heldout-3.jsonl, when it exists) and both together.
 *   node --import tsx tests/safety/evaluate.ts [--show] [--split dev|heldout3|all]
 * --show lists misses and false alarms; --split prints one split only (tune with --split dev;
 * run --split heldout3 once, on the finished filter, and do not tune on what it shows).
 */
import { existsSync } from "node:fs";
import { loadPromptFilter, policyLevels, safetyCategories } from "../../backend/safety";
import {
  evalSplits,
  evaluateLevel,
  heldout3File,
  loadEvalPrompts,
  rate,
  type Tally,
} from "./metrics";

const show = process.argv.includes("--show");
const splitAt = process.argv.indexOf("--split");
const only = splitAt >= 0 ? (process.argv[splitAt + 1] ?? "") : undefined;
const names = [...evalSplits, "all"];
if (only !== undefined && !names.includes(only)) {
  console.error(`--split takes ${names.join(", ")}, not "${only}"`);
  process.exit(2);
}
const heldout3 = existsSync(heldout3File);
if (only === "heldout3" && !heldout3) {
  console.error(`--split heldout3: ${heldout3File} does not exist`);
  process.exit(2);
}
if (!heldout3 && !only) console.log(`(no ${heldout3File}: the dev split only)`);

const filter = loadPromptFilter();
const prompts = loadEvalPrompts();
const splits = (
  [
    ["dev", prompts.filter((p) => p.split === "dev")],
    ...(heldout3 ? ([["heldout3", prompts.filter((p) => p.split === "heldout3")]] as const) : []),
    ...(heldout3 || only === "all" ? ([["all", prompts]] as const) : []),
  ] as const
).filter(([name]) => !only || name === only);

const cell = (t: Tally | undefined) =>
  (t && t.n ? `${t.hits}/${t.n} ${(100 * rate(t)).toFixed(1)}%` : "–").padEnd(18);
const row = (label: string, cells: (Tally | undefined)[]) =>
  console.log(label.padEnd(30) + cells.map(cell).join(""));

for (const level of policyLevels) {
  const reports = splits.map(([, ps]) => evaluateLevel(filter, ps, level));
  console.log(
    `\nlevel: ${level}` + (level === "moderate" ? " (strict-only prompts left out)" : "")
  );
  console.log("".padEnd(30) + splits.map(([name]) => name.padEnd(18)).join(""));
  for (const c of safetyCategories)
    row(
      `recall ${c}`,
      reports.map((r) => r.byCategory.get(c))
    );
  row(
    "recall, all harmful",
    reports.map((r) => r.recall)
  );
  row(
    "right category",
    reports.map((r) => r.categoryRight)
  );
  row(
    "false positives",
    reports.map((r) => r.falsePositives)
  );
  const contexts = [
    ...new Set(reports.flatMap((r) => [...r.falsePositivesByContext.keys()])),
  ].sort();
  for (const c of contexts)
    row(
      `  false positives, ${c}`,
      reports.map((r) => r.falsePositivesByContext.get(c))
    );
  if (show) {
    const all = reports[reports.length - 1];
    for (const p of all.misses) console.log(`  miss [${p.expect}/${p.split}] ${p.text}`);
    for (const p of all.falseAlarms)
      console.log(
        `  false alarm [${p.split}] ${p.text} → ${JSON.stringify(filter.explain(p.text, level))}`
      );
  }
}
