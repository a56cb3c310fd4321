/**
 * Prints recall per category, overall recall and false-positive rate (overall and per context of
 * the benign prompts) of the prompt filter (term lists and classifier), for both policy levels, on
 * the dev split, each held-out split whose file exists (tests/safety/heldout-N.jsonl) and all
 * together.
 *   node --import tsx tests/safety/evaluate.ts [--show] [--split dev|heldout3|…|heldout7|all]
 *   node --import tsx tests/safety/evaluate.ts --terms-only …   # the term lists alone
 * --show lists misses and false alarms; --split prints one split only (tune with --split dev;
 * run a new held-out split once, on the finished filter, and do not tune on what it shows).
 */
import { loadPromptFilter, policyLevels, safetyCategories } from "../../backend/safety";
import { evalSplits, evaluateLevel, loadEvalPrompts, rate, type Tally } from "./metrics";

const show = process.argv.includes("--show");
const splitAt = process.argv.indexOf("--split");
const only = splitAt >= 0 ? (process.argv[splitAt + 1] ?? "") : undefined;
const names = [...evalSplits, "all"];
if (only !== undefined && !names.includes(only)) {
  console.error(`--split takes ${names.join(", ")}, not "${only}"`);
  process.exit(2);
}

const filter = loadPromptFilter(undefined, { classifier: !process.argv.includes("--terms-only") });
const prompts = loadEvalPrompts();
const present = evalSplits.filter((s) => prompts.some((p) => p.split === s));
if (only && only !== "all" && !present.includes(only as (typeof evalSplits)[number])) {
  console.error(`--split ${only}: its file does not exist`);
  process.exit(2);
}
const splits = [
  ...present.map((name) => [name, prompts.filter((p) => p.split === name)] as const),
  ["all", prompts] as const,
].filter(([name]) => !only || name === only);

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
