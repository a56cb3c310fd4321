// Latency of one image through `npx lumen generate`, as a user runs it: the whole command (process
// start, model load, generation, encode) and the part after loading (generation + encode).
//   npm run bench:cli                       the default model, 512×512, 10 runs
//   npm run bench:cli -- --model sd15 --runs 5 --size 256
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { promisify } from "node:util";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    runs: { type: "string", default: "10" },
    size: { type: "string", default: "512" },
    prompt: { type: "string", default: "a misty lake at sunrise with reflections of pine-covered hills" },
  },
});
const runs = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), "lumen-bench-cli-"));
const run = promisify(execFile);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** "unet 12.5 ms" → 12.5 from the command's timing line. */
const stage = (line: string, name: string) => Number(new RegExp(`${name} ([\\d.]+) ms`).exec(line)?.[1] ?? NaN);

const rows: Record<string, number[]> = { wall: [], load: [], generate: [], encode: [], unet: [] };
let device = "";
for (let i = 0; i < runs + 1; i++) {
  const args = ["lumen", "generate", "--prompt", values.prompt!, "--seed", String(i), "--width", values.size!, "--height", values.size!];
  if (values.model) args.push("--model", values.model);
  args.push("--out", join(work, `${i}.png`), "--quiet");
  const t0 = performance.now();
  const { stderr } = await run("npx", args, { cwd: process.cwd() });
  const wall = performance.now() - t0;
  const line = stderr.split("\n").find((l) => / on \w+, \d+×\d+/.test(l)) ?? "";
  device ||= / on (\w+),/.exec(line)?.[1] ?? "?";
  if (i === 0) continue; // the first run fills the OS file cache
  rows.wall.push(wall);
  rows.load.push(stage(line, "load"));
  rows.generate.push(stage(line, "total"));
  rows.encode.push(stage(line, "encode"));
  rows.unet.push(stage(line, "unet"));
}
rmSync(work, { recursive: true, force: true });

console.log(`npx lumen generate, ${values.size}×${values.size}, ${runs} runs after one warm-up, device ${device}; milliseconds\n`);
console.log("| model | whole command (median) | model load | generate | encode + upscale | generate + encode | UNet, all steps |");
console.log("|---|---|---|---|---|---|---|");
const m = (k: string) => median(rows[k]).toFixed(0);
const genEnc = median(rows.generate.map((g, i) => g + rows.encode[i])).toFixed(0);
console.log(`| ${values.model ?? "default"} | ${m("wall")} | ${m("load")} | ${m("generate")} | ${m("encode")} | ${genEnc} | ${m("unet")} |`);
