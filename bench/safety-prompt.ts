/**
 * Times the prompt filter: loading and compiling the data files, then checking the evaluation
 * set's prompts (median and p90 per prompt), the longest prompt the API accepts, and 100 kB of text.
 *   node --import tsx bench/safety-prompt.ts [rounds] [--terms-only]
 * --terms-only times the term lists without the classifier.
 */
import { MAX_PROMPT_LENGTH } from "../contract";
import { loadPromptFilter } from "../backend/safety";
import { loadEvalPrompts } from "../tests/safety/metrics";

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => !a.startsWith("--")) ?? 5);
let t = performance.now();
const filter = loadPromptFilter(undefined, { classifier: !args.includes("--terms-only") });
const loadMs = performance.now() - t;

const prompts = loadEvalPrompts().map((p) => p.text);
const times: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (const text of prompts) {
    t = performance.now();
    filter.checkPrompt(text, "strict");
    times.push(performance.now() - t);
  }
}
times.sort((a, b) => a - b);
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];

const filler = prompts.filter((_, i) => i % 7 === 0).join(", ");
const timeOf = (text: string) => {
  const runs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    filter.checkPrompt(text, "strict");
    runs.push(performance.now() - start);
  }
  return runs.sort((a, b) => a - b)[Math.floor(runs.length / 2)];
};
const longest = filler
  .repeat(Math.ceil(MAX_PROMPT_LENGTH / filler.length))
  .slice(0, MAX_PROMPT_LENGTH);
const huge = filler.repeat(Math.ceil(100_000 / filler.length)).slice(0, 100_000);

const row = (what: string, value: string) =>
  console.log(`| ${what.padEnd(46)} | ${value.padStart(12)} |`);
console.log(`| ${"step".padEnd(46)} | ${"time".padStart(12)} |`);
console.log(`| ${"-".repeat(46)} | ${"-".repeat(12)} |`);
row("load and compile the data files", `${loadMs.toFixed(0)} ms`);
row(`evaluation-set prompt, median (${prompts.length} × ${rounds})`, `${pct(0.5).toFixed(3)} ms`);
row("evaluation-set prompt, p90", `${pct(0.9).toFixed(3)} ms`);
row(
  `longest prompt the API accepts (${MAX_PROMPT_LENGTH} chars)`,
  `${timeOf(longest).toFixed(1)} ms`
);
row("100 kB of prompt text", `${timeOf(huge).toFixed(0)} ms`);
