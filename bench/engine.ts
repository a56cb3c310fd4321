// Per-stage engine times for the test fixtures and every model under models/ (or one folder),
// model load time, peak memory, and the overhead ratio: wall time of a whole generation ÷ time
// spent inside ONNX Runtime's session.run. Each model × thread count runs in its own process, so
// its peak RSS is its own.
//   npm run bench                      all models, 5 runs each after 3 warm-up runs
//   npm run bench -- --runs 10 --device cpu --threads 2
//   npm run bench -- --model-dir models/lumen-landscapes --json    one model folder, medians as JSON
//   npm run bench -- --model-dir .cache/realsize/sd-turbo-fp32 --threads 1,2 --runs 2 --warmup 1
//   npm run bench -- --model-dir DIR --decoder full     the full VAE even where a tiny decoder is
//   npm run bench -- --model-dir DIR --mem-arena on     ORT's CPU memory arena on (default: by model size)
//   npm run bench -- --model-dir DIR --steps 1 --guidance 0 --size 1024                 any setting
// A folder built by models/training/realsize.py (it has realsize.json) is also compared with the
// same weights' UNet step in PyTorch eager, on the same inputs and thread counts (--no-torch skips);
// PyTorch's result is kept beside the folder (.torch-<family>-seed<seed>-<size>/) for the family's
// other precisions.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  decoderChoices,
  encodeImage,
  generate,
  listModels,
  loadModel,
  type DecoderChoice,
  type Device,
} from "../backend/engine";
import { floatTensor, intTensor, toFloat32 } from "../backend/engine/tensors";
import type * as ort from "onnxruntime-node";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    warmup: { type: "string", default: "3" },
    device: { type: "string", default: "cpu" },
    decoder: { type: "string", default: "auto" },
    "mem-arena": { type: "string" },
    threads: { type: "string" },
    size: { type: "string" },
    steps: { type: "string" },
    guidance: { type: "string" },
    "model-dir": { type: "string" },
    json: { type: "boolean", default: false },
    "no-torch": { type: "boolean", default: false },
    "torch-runs": { type: "string", default: "3" },
    one: { type: "string" },
  },
});

interface Target {
  name: string;
  dir: string;
  size: number;
  steps: number;
  guidance?: number;
}

interface Config {
  target: Target;
  threads?: number;
  runs: number;
  warmup: number;
  device: Device;
  decoder: DecoderChoice;
  memArena?: boolean;
  /** Folder with a fixed UNet input and PyTorch's output for it (realsize.py torch-step). */
  checkDir?: string;
}

interface Result {
  model: string;
  threads: string;
  threadsAsked?: number;
  memArena: boolean;
  decoder: string;
  size: number;
  steps: number;
  loadMs: number;
  medians: Record<string, number>;
  peakRssBytes: number;
  weightBytes: number;
  unetCheck?: { medianMs: number; cpuMs: number; relError: number };
  /** Load average (1 min) when the configuration finished: other work on the machine. */
  load: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
/** CPU time of the whole process (every thread) since `start`, in ms. */
const cpuMs = (start: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
};

/** Bytes of the ONNX files of the components a generation loads. */
function weightBytes(dir: string, decoder: string): number {
  let total = 0;
  for (const component of readdirSync(dir)) {
    const folder = join(dir, component);
    if (
      !(/^(text_encoder(_\d)?|unet)$/.test(component) || component === decoder) ||
      !statSync(folder).isDirectory()
    )
      continue;
    for (const f of readdirSync(folder))
      if (/\.onnx(_data)?$|\.pb$/.test(f)) total += statSync(join(folder, f)).size;
  }
  return total;
}

function readF32(path: string): Float32Array {
  const buf = readFileSync(path);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

/** Times the UNet session alone on realsize.py's fixed input and compares with PyTorch's output. */
async function unetCheck(
  unet: ort.InferenceSession,
  checkDir: string,
  runs: number,
  warmup: number
) {
  const spec = JSON.parse(readFileSync(join(checkDir, "inputs.json"), "utf8")) as Record<
    string,
    { file: string; shape: number[] }
  >;
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of unet.inputMetadata) {
    if (!meta.isTensor) throw new Error(`${meta.name} is not a tensor input`);
    const data = readF32(join(checkDir, spec[meta.name].file));
    const dims = spec[meta.name].shape;
    feeds[meta.name] =
      meta.type === "int64" || meta.type === "int32"
        ? intTensor(meta.type, Array.from(data, Math.round), dims)
        : floatTensor(meta.type as "float32" | "float16", data, dims);
  }
  const times: number[] = [];
  const cpu: number[] = [];
  let out: Float32Array = new Float32Array();
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const result = await unet.run(feeds);
    if (i >= warmup) {
      times.push(performance.now() - t0);
      cpu.push(cpuMs(c0));
    }
    out = toFloat32(result[unet.outputNames[0]]);
  }
  const ref = readF32(join(checkDir, spec.out_sample.file));
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(out[i] - ref[i]));
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return { medianMs: median(times), cpuMs: median(cpu), relError: maxDiff / maxRef };
}

async function measure(cfg: Config): Promise<Result> {
  const { target } = cfg;
  const t0 = performance.now();
  const model = await loadModel(target.dir, {
    device: cfg.device,
    threads: cfg.threads,
    decoder: cfg.decoder,
    memArena: cfg.memArena,
  });
  const loadMs = performance.now() - t0;
  const samples: Record<string, number[]> = {};
  const add = (k: string, v: number) => (samples[k] ??= []).push(v);
  for (let i = 0; i < cfg.warmup + cfg.runs; i++) {
    const start = performance.now();
    const c0 = process.cpuUsage();
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
    const wall = performance.now() - start;
    const cpu = cpuMs(c0);
    if (i < cfg.warmup) continue;
    add("cpu", cpu);
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
  const unetChecked = cfg.checkDir
    ? await unetCheck(model.unet, cfg.checkDir, cfg.runs, 1)
    : undefined;
  const decoder = model.decoder;
  const threadsLabel = cfg.threads
    ? String(cfg.threads)
    : model.threads
      ? `${model.threads} (by size)`
      : "default";
  const memArena = model.memArena;
  await model.release();
  return {
    model: target.name,
    threads: threadsLabel,
    threadsAsked: cfg.threads,
    memArena,
    decoder,
    size: target.size,
    steps: target.steps,
    loadMs,
    medians: Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)])),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    weightBytes: weightBytes(target.dir, decoder),
    unetCheck: unetChecked,
    load: loadavg()[0],
  };
}

/** Runs one configuration in a child process and returns its result. */
function runChild(cfg: Config): Promise<Result> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, import.meta.filename, "--one", JSON.stringify(cfg)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      }
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0)
        reject(
          new Error(
            `benchmark of ${cfg.target.name} (threads ${cfg.threads ?? "default"}) exited with ${code}`
          )
        );
      else resolvePromise(JSON.parse(out.trim().split("\n").pop()!) as Result);
    });
  });
}

interface TorchResult {
  parameters: number;
  threads: Record<string, { median_ms: number; cpu_ms: number }>;
  torch: string;
  peak_rss_mb: number;
}

/** PyTorch eager on the same UNet weights (models/training/realsize.py torch-step). */
function runTorch(
  dir: string,
  threads: number[],
  size: number,
  runs: number,
  checkDir: string
): Promise<TorchResult> {
  const script = join(import.meta.dirname, "..", "models", "training", "realsize.py");
  const args = [
    script,
    "torch-step",
    "--model-dir",
    dir,
    "--threads",
    threads.join(","),
    "--size",
    String(size),
    "--runs",
    String(runs),
    "--check-dir",
    checkDir,
  ];
  return new Promise((resolvePromise, reject) => {
    const child = spawn("/usr/bin/python3", args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`realsize.py torch-step exited with ${code}`));
      else resolvePromise(JSON.parse(out.trim().split("\n").pop()!) as TorchResult);
    });
  });
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}

if (values.one) {
  console.log(JSON.stringify(await measure(JSON.parse(values.one) as Config)));
  process.exit(0);
}

const runs = Number(values.runs);
const warmup = Number(values.warmup);
const device = values.device as Device;
const decoder = values.decoder as DecoderChoice;
if (!decoderChoices.includes(decoder))
  throw new Error(`--decoder must be one of ${decoderChoices.join(", ")}`);
const arenaFlag = values["mem-arena"];
if (arenaFlag !== undefined && arenaFlag !== "on" && arenaFlag !== "off")
  throw new Error("--mem-arena must be on or off");
const memArena = arenaFlag === undefined ? undefined : arenaFlag === "on";
const threadList: Array<number | undefined> = values.threads
  ? values.threads.split(",").map(Number)
  : [undefined];
const modelDir = values["model-dir"] ? resolve(values["model-dir"]) : undefined;

const fixtures: Target[] = modelDir
  ? []
  : ["sd15", "sd21", "sdxl"].map((name) => ({
      name: `fixture ${name}`,
      dir: join(import.meta.dirname, "..", "tests", "fixtures", name),
      size: 64,
      steps: 4,
      // Guided, as the table has always measured them (sd21's trailing schedule would default to none).
      guidance: 7.5,
    }));
const installed: Target[] = listModels(modelDir ? dirname(modelDir) : undefined)
  .filter((m) => !modelDir || m.dir === modelDir)
  .map((m) => ({
    name: m.name,
    dir: m.dir,
    size: values.size ? Number(values.size) : (m.nativeSize?.[0] ?? m.defaults?.width ?? 512),
    steps: values.steps ? Number(values.steps) : (m.defaults?.steps ?? 4),
    guidance: values.guidance ? Number(values.guidance) : undefined,
  }));
if (modelDir && installed.length === 0)
  throw new Error(`${modelDir} is not a model folder (no model_index.json)`);

const results: Result[] = [];
const torchResults = new Map<string, TorchResult>();
for (const target of [...fixtures, ...installed]) {
  let checkDir: string | undefined;
  const realsize = existsSync(join(target.dir, "realsize.json"));
  if (realsize && !values["no-torch"]) {
    // PyTorch's step and output depend only on the architecture, the seed and the size, so one
    // run serves every precision of a family (each is then checked against float32 PyTorch).
    const meta = JSON.parse(readFileSync(join(target.dir, "realsize.json"), "utf8")) as {
      family: string;
      seed: number;
    };
    const threads = threadList.map((t) => t ?? 2);
    checkDir = join(dirname(target.dir), `.torch-${meta.family}-seed${meta.seed}-${target.size}`);
    const cached = join(checkDir, "torch.json");
    const have = existsSync(cached)
      ? (JSON.parse(readFileSync(cached, "utf8")) as TorchResult)
      : undefined;
    if (have && threads.every((t) => have.threads[String(t)])) {
      torchResults.set(target.name, have);
    } else {
      const result = await runTorch(
        target.dir,
        threads,
        target.size,
        Number(values["torch-runs"]),
        checkDir
      );
      writeFileSync(cached, JSON.stringify(result));
      torchResults.set(target.name, result);
    }
  }
  for (const threads of threadList) {
    results.push(
      await runChild({ target, threads, runs, warmup, device, decoder, memArena, checkDir })
    );
  }
}

if (values.json) {
  console.log(
    JSON.stringify({ runs, warmup, device, results, torch: Object.fromEntries(torchResults) })
  );
  process.exit(0);
}

console.log(
  `median of ${runs} runs after ${warmup} warm-up runs, milliseconds; device ${device}; cpu = CPU time of all the process's threads per image, load = 1-minute load average\n`
);
console.log(
  table(
    [
      "model",
      "threads",
      "size",
      "steps",
      "tokenize",
      "text enc",
      "unet/step",
      "scheduler",
      "decoder",
      "encode",
      "total",
      "in ORT",
      "overhead",
      "cpu",
      "load",
    ],
    results.map((r) => {
      const m = r.medians;
      return [
        r.decoder === "vae_decoder" ? r.model : `${r.model} (${r.decoder})`,
        r.threads,
        `${r.size}²`,
        String(r.steps),
        ms(m.tokenize),
        ms(m.text),
        ms(m.unet),
        ms(m.scheduler),
        ms(m.vae),
        ms(m.encode),
        ms(m.total),
        ms(m.ort),
        m.overhead.toFixed(3),
        ms(m.cpu),
        r.load.toFixed(1),
      ];
    })
  )
);
console.log(
  "\nload and memory (peak RSS of the process; weights = the loaded components' ONNX files)\n"
);
console.log(
  table(
    ["model", "threads", "memory arena", "load s", "peak RSS MB", "weights MB", "RSS ÷ weights"],
    results.map((r) => [
      r.model,
      r.threads,
      r.memArena ? "on" : "off",
      (r.loadMs / 1000).toFixed(1),
      mb(r.peakRssBytes),
      mb(r.weightBytes),
      (r.peakRssBytes / r.weightBytes).toFixed(2),
    ])
  )
);
const checked = results.filter((r) => r.unetCheck && torchResults.has(r.model));
if (checked.length) {
  console.log(
    "\nUNet step on the same weights and input (batch 1), ONNX Runtime vs PyTorch eager: wall and CPU time, ms\n"
  );
  console.log(
    table(
      [
        "model",
        "threads",
        "ORT",
        "ORT cpu",
        "PyTorch eager",
        "eager cpu",
        "eager ÷ ORT",
        "cpu: eager ÷ ORT",
        "max |ORT − eager| ÷ max |eager|",
      ],
      checked.map((r) => {
        const eager = torchResults.get(r.model)!.threads[String(r.threadsAsked ?? 2)];
        const u = r.unetCheck!;
        return [
          r.model,
          r.threads,
          ms(u.medianMs),
          ms(u.cpuMs),
          ms(eager.median_ms),
          ms(eager.cpu_ms),
          (eager.median_ms / u.medianMs).toFixed(2),
          (eager.cpu_ms / u.cpuMs).toFixed(2),
          u.relError.toExponential(1),
        ];
      })
    )
  );
  for (const [name, t] of torchResults)
    console.log(
      `\n${name}: PyTorch ${t.torch}, ${t.parameters.toLocaleString("en")} UNet parameters, PyTorch peak RSS ${t.peak_rss_mb} MB`
    );
}
