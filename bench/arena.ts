// Time to compute an arena leaderboard (Bradley–Terry fit + bootstrap intervals) for numbers of
// votes and contenders; the server caches the result until the next vote.
//   node --import tsx bench/arena.ts                       1000 resamples (as the server)
//   node --import tsx bench/arena.ts --replicates 200
import { parseArgs } from "node:util";
import { rate, type Comparison } from "../backend/arena/bradley-terry";

const { values } = parseArgs({
  options: {
    replicates: { type: "string", default: "1000" },
    runs: { type: "string", default: "3" },
  },
});
const replicates = Number(values.replicates);
const runs = Number(values.runs);

/** Votes between k contenders 40 points apart, a tenth of them ties (deterministic). */
function votes(k: number, n: number): Comparison[] {
  let x = 12345;
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => {
    const a = Math.floor(next() * k);
    const b = (a + 1 + Math.floor(next() * (k - 1))) % k;
    const p = 1 / (1 + 10 ** (((a - b) * 40) / 400));
    const u = next();
    return { a, b, scoreA: u < 0.1 ? 0.5 : next() < p ? 1 : 0 } as Comparison;
  });
}

console.log(
  `| contenders | votes | leaderboard (ms, median of ${runs}, ${replicates} resamples) |\n|---|---|---|`
);
for (const k of [3, 10, 30]) {
  for (const n of [100, 1_000, 10_000, 100_000]) {
    const data = votes(k, n);
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      rate(k, data, { replicates, seed: r });
      times.push(performance.now() - t0);
    }
    times.sort((p, q) => p - q);
    console.log(`| ${k} | ${n.toLocaleString("en")} | ${times[Math.floor(runs / 2)].toFixed(0)} |`);
  }
}
