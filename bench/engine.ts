// Per-stage engine times for the test fixtures and every model under models/, and the overhead
// ratio: wall time of a whole generation ÷ time spent inside ONNX Runtime's session.run.
//   npm run bench                      all models, 5 runs each after 3 warm-up runs
//   npm run bench -- --runs 10 --device cpu --threads 2
//   npm run bench -- --model-dir models/lumen-landscapes --json    one model folder, medians as JSON
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { encodeImage, generate, listModels, loadModel, type Device } from "../backend/engine";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    device: { type: "string", default: "cpu" },
    threads: { type: "string" },
    size: { type: "string" },
    "model-dir": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
// The first runs pay for JIT compilation and ORT arena growth; they are not what a server sees.
const WARMUP = 3;

const fixtures = values["model-dir"] ? [] : ["sd15", "sd21", "sdxl"].map((name) => ({
  name: `fixture ${name}`,
  dir: join(import.meta.dirname, "..", "tests", "fixtures", name),
  size: 64,
  steps: 4,
  // Guided, as the table has always measured them (sd21's trailing schedule would default to none).
  guidance: 7.5 as number | undefined,
}));
const installed = listModels(values["model-dir"] ? dirname(resolve(values["model-dir"])) : undefined)
  .filter((m) => !values["model-dir"] || m.dir === resolve(values["model-dir"]))
  .map((m) => ({
  name: m.name,
  dir: m.dir,
  size: values.size ? Number(values.size) : (m.nativeSize?.[0] ?? m.defaults?.width ?? 512),
  steps: m.defaults?.steps ?? 4,
  guidance: undefined,
}));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

const header = ["model", "size", "steps", "tokenize", "text enc", "unet/step", "scheduler", "vae", "encode", "total", "in ORT", "overhead"];
const rows: string[][] = [];
const medians: Array<Record<string, string | number>> = [];
for (const target of [...fixtures, ...installed]) {
  const model = await loadModel(target.dir, {
    device: values.device as Device,
    threads: values.threads ? Number(values.threads) : undefined,
  });
  const samples: Record<string, number[]> = {};
  const add = (k: string, v: number) => (samples[k] ??= []).push(v);
  for (let i = 0; i < WARMUP + runs; i++) {
    const t0 = performance.now();
    const result = await generate(model, {
      prompt: "a misty lake at sunrise with reflections of pine-covered hills",
      seed: i,
      width: target.size,
      height: target.size,
      steps: target.steps,
      guidance: target.guidance,
    });
    const e0 = performance.now();
    await encodeImage(result.images[0], { width: target.size, height: target.size });
    const encode = performance.now() - e0;
    const wall = performance.now() - t0;
    if (i < WARMUP) continue;
    const t = result.timings;
    add("tokenize", t.total("tokenize"));
    add("text", t.total("text_encoder"));
    add("unet", t.total("unet") / target.steps);
    add("scheduler", t.total("scheduler"));
    add("vae", t.total("vae_decoder"));
    add("encode", encode);
    add("total", wall);
    add("ort", t.sessionMs);
    add("overhead", wall / t.sessionMs);
  }
  await model.release();
  const m = (k: string) => median(samples[k]);
  medians.push({
    model: target.name, size: target.size, steps: target.steps, unetPerStepMs: m("unet"), totalMs: m("total"),
    vaeMs: m("vae"), encodeMs: m("encode"), ortMs: m("ort"), overhead: m("overhead"),
  });
  rows.push([
    target.name, `${target.size}²`, String(target.steps), ms(m("tokenize")), ms(m("text")), ms(m("unet")),
    ms(m("scheduler")), ms(m("vae")), ms(m("encode")), ms(m("total")), ms(m("ort")), m("overhead").toFixed(2),
  ]);
}

if (values.json) {
  console.log(JSON.stringify({ runs, device: values.device, threads: values.threads ?? "default", models: medians }));
  process.exit(0);
}
console.log(`median of ${runs} runs after ${WARMUP} warm-up runs, milliseconds; device ${values.device}, threads ${values.threads ?? "default"}\n`);
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
rows.forEach((r) => console.log(line(r)));
