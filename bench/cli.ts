// Latency of one image through the `lumen` command, as a user runs it: the whole command (process
// start, model load, generation, encode) and its stages, through `npx lumen` and through the
// linked bin directly; `npx lumen --version` shows what starting npx and the command costs alone.
//   npm run bench:cli                       the default model, 512×512, 10 runs
//   npm run bench:cli -- --model sd15 --runs 5 --size 256 --threads 1
//   npm run bench:cli -- --json                      medians as JSON
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
    threads: { type: "string" },
    prompt: {
      type: "string",
      default: "a misty lake at sunrise with reflections of pine-covered hills",
    },
    json: { type: "boolean", default: false },
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
const stage = (line: string, name: string) =>
  Number(new RegExp(`${name} ([\\d.]+) ms`).exec(line)?.[1] ?? NaN);

let device = "";
/** Runs `command args` runs + 1 times (the first fills the OS file cache); per-stage medians. */
async function measure(command: string, args: (i: number) => string[]) {
  const rows: Record<string, number[]> = {
    wall: [],
    load: [],
    generate: [],
    encode: [],
    unet: [],
    genEnc: [],
  };
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    const { stderr } = await run(command, args(i), { cwd: process.cwd() });
    const wall = performance.now() - t0;
    const line = stderr.split("\n").find((l) => / on \w+, \d+×\d+/.test(l)) ?? "";
    device ||= / on (\w+),/.exec(line)?.[1] ?? "";
    if (i === 0) continue;
    rows.wall.push(wall);
    rows.load.push(stage(line, "load"));
    rows.generate.push(stage(line, "total"));
    rows.encode.push(stage(line, "encode"));
    rows.unet.push(stage(line, "unet"));
    rows.genEnc.push(stage(line, "total") + stage(line, "encode"));
  }
  const keys = ["wall", "load", "generate", "encode", "genEnc", "unet"];
  return Object.fromEntries(
    keys.map((k) => [k, rows[k].some(Number.isNaN) ? null : median(rows[k])])
  );
}

const generateArgs = (i: number) => [
  "generate",
  "--prompt",
  values.prompt!,
  "--seed",
  String(i),
  "--width",
  values.size!,
  "--height",
  values.size!,
  ...(values.model ? ["--model", values.model] : []),
  ...(values.threads ? ["--threads", values.threads] : []),
  "--out",
  join(work, `${i}.png`),
  "--quiet",
];
const table = [
  ["npx lumen generate", await measure("npx", (i) => ["lumen", ...generateArgs(i)])],
  [
    "node_modules/.bin/lumen generate",
    await measure(join("node_modules", ".bin", "lumen"), generateArgs),
  ],
  ["npx lumen --version", await measure("npx", () => ["lumen", "--version"])],
] as const;
rmSync(work, { recursive: true, force: true });

if (values.json) {
  console.log(
    JSON.stringify({
      runs,
      size: Number(values.size),
      device,
      threads: values.threads ?? "default",
      commands: Object.fromEntries(table),
    })
  );
  process.exit(0);
}

console.log(
  `${values.model ?? "default model"}, ${values.size}×${values.size}, ${runs} runs after one warm-up, device ${device}` +
    `${values.threads ? `, ${values.threads} thread(s)` : ""}; milliseconds, medians\n`
);
console.log(
  "| command | whole command | model load | generate | encode + upscale | generate + encode | UNet, all steps |"
);
console.log("|---|---|---|---|---|---|---|");
for (const [name, cells] of table) {
  console.log(
    `| \`${name}\` | ${Object.values(cells)
      .map((v) => (v === null ? "–" : v.toFixed(0)))
      .join(" | ")} |`
  );
}
