// Text-to-image, and image-to-image from a starting picture: prompt conditioning → denoising
// loop (scheduler + denoiser with classifier-free guidance) → decode. From a picture, the loop
// starts part-way, from the picture's latents noised to that step (see `strength`). The loop is the same for every family (SD 1.x/2.x, Turbo,
// SDXL, the embedded model); what differs per family comes from `model.family`, and every other
// model-specific fact from the LoadedModel.
import type * as ort from "onnxruntime-node";
import { CancelledError, ModelError, RequestError } from "../errors";
import type { Conditioning } from "../families";
import { repeatRows } from "../families/conditioning";
import { encodeWithVae, sampleLatents, type EncodedPicture } from "../families/vae";
import { fitPicture } from "../image";
import type { LoadedModel } from "../model";
import { seededNoise } from "../rng";
import {
  createScheduler,
  schedulerNames,
  type NoiseSource,
  type SchedulerName,
} from "../schedulers";
import { floatTensor, intTensor, toFloat32 } from "../tensors";
import { Timings } from "../timings";
import { latentPreview, type RgbImage } from "./preview";

export interface GenerateRequest {
  prompt: string;
  negativePrompt?: string;
  steps?: number;
  guidance?: number;
  /**
   * Fraction of the denoising steps (0–1) that run before guidance starts; those early steps run
   * the UNet once, on the prompt only. Guiding only the later steps keeps the seeds' variety of
   * layout (the early, noisy steps decide it) while the prompt still sharpens what is drawn.
   */
  guidanceStart?: number;
  /** Seed of the first image; image k uses seed + k, so any image can be reproduced alone. */
  seed: number;
  width?: number;
  height?: number;
  n?: number;
  scheduler?: SchedulerName;
  /** A picture to start from (any size; it is fitted to the generation size). Needs a model with a vae_encoder. */
  image?: RgbImage;
  /**
   * How far from the picture to go, 0–1, as diffusers' image-to-image pipelines define it: the last
   * int(steps × strength) steps of the schedule run, from the picture's latents noised to the
   * first of them. 1 starts from (almost) pure noise; low values stay close to the picture.
   * Default 0.8 with a picture; where the model's default steps would run none, its default steps
   * rise to the fewest that run one.
   */
  strength?: number;
}

export interface StepInfo {
  step: number;
  steps: number;
  timestep: number;
  /** A cheap RGB preview of each image, projected linearly from the current latents. */
  preview(): RgbImage[];
}

export interface GenerateOptions {
  onStep?: (info: StepInfo) => void;
  signal?: AbortSignal;
  /** Replaces the seeded initial latents (already scaled by the scheduler's init noise sigma); for tests. */
  initialLatents?: Float32Array;
  /** Replaces the seeded per-step noise of ancestral samplers; for tests. */
  stepNoise?: NoiseSource;
  /** From a picture: replaces the seeded noise of the encoder's sample, then of add_noise; for tests. */
  imageNoise?: NoiseSource;
}

export interface GenerateResult {
  images: RgbImage[];
  seeds: number[];
  /** Final latents, [n, C, h, w], as the VAE decoder receives them before scaling. */
  latents: Float32Array;
  /** Size the model generated at; `images` have this size (upscaling is the caller's choice). */
  width: number;
  height: number;
  timings: Timings;
}

export interface ResolvedRequest {
  prompt: string;
  negativePrompt: string;
  steps: number;
  guidance: number;
  guidanceStart: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
  n: number;
  seed: number;
  /** Set when the request starts from a picture. */
  strength?: number;
}

const MAX_SIDE = 2048;
export const DEFAULT_STRENGTH = 0.8;

/** Fills defaults from the model and checks every field, naming the one that is wrong. */
export function resolveRequest(model: LoadedModel, req: GenerateRequest): ResolvedRequest {
  const d = model.defaults;
  const strength = req.image ? (req.strength ?? DEFAULT_STRENGTH) : undefined;
  if (req.strength !== undefined && !req.image)
    throw new RequestError("strength needs a picture to start from");
  const r: ResolvedRequest = {
    prompt: req.prompt,
    negativePrompt: req.negativePrompt ?? "",
    // From a picture, a few-step model's default (say 1 step at strength 0.8) would run no step at all.
    steps: req.steps ?? (strength ? Math.max(d.steps, Math.ceil(1 / strength)) : d.steps),
    guidance: req.guidance ?? d.guidance,
    guidanceStart: req.guidanceStart ?? d.guidanceStart,
    scheduler: req.scheduler ?? d.scheduler,
    width: req.width ?? d.width,
    height: req.height ?? d.height,
    n: req.n ?? 1,
    seed: req.seed,
    ...(strength !== undefined ? { strength } : {}),
  };
  const multiple = model.family.requestMultiple;
  for (const side of ["width", "height"] as const) {
    const v = r[side];
    if (!Number.isInteger(v) || v < multiple || v > MAX_SIDE || v % multiple !== 0) {
      throw new RequestError(
        `${side} must be a multiple of ${multiple} from ${multiple} to ${MAX_SIDE}, got ${v}`
      );
    }
  }
  if (!Number.isInteger(r.steps) || r.steps < 1 || r.steps > 150) {
    throw new RequestError(`steps must be an integer from 1 to 150, got ${r.steps}`);
  }
  if (!Number.isFinite(r.guidance) || r.guidance < 0 || r.guidance > 30) {
    throw new RequestError(`guidance must be from 0 to 30, got ${r.guidance}`);
  }
  if (!Number.isFinite(r.guidanceStart) || r.guidanceStart < 0 || r.guidanceStart >= 1) {
    throw new RequestError(`guidanceStart must be from 0 to below 1, got ${r.guidanceStart}`);
  }
  if (!Number.isInteger(r.n) || r.n < 1 || r.n > 8)
    throw new RequestError(`n must be an integer from 1 to 8, got ${r.n}`);
  if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 2 ** 32 - 1) {
    throw new RequestError(`seed must be an integer from 0 to ${2 ** 32 - 1}, got ${r.seed}`);
  }
  if (!schedulerNames.includes(r.scheduler)) {
    throw new RequestError(
      `scheduler must be one of ${schedulerNames.join(", ")}, got ${r.scheduler}`
    );
  }
  if (typeof r.prompt !== "string") throw new RequestError("prompt must be a string");
  if (req.image) {
    if (!model.vaeEncoder)
      throw new RequestError(
        `model "${model.name}" cannot start from a picture: it has no vae_encoder`
      );
    const s = r.strength!;
    if (!Number.isFinite(s) || s <= 0 || s > 1)
      throw new RequestError(`strength must be above 0 and at most 1, got ${s}`);
    if (Math.floor(r.steps * s) < 1) {
      throw new RequestError(
        `steps × strength must be at least 1 (${r.steps} × ${s} runs no step); raise steps or strength`
      );
    }
    const { width, height, pixels } = req.image;
    if (
      !Number.isInteger(width) ||
      !Number.isInteger(height) ||
      width < 1 ||
      height < 1 ||
      pixels.length !== width * height * 3
    ) {
      throw new RequestError("image must be 8-bit RGB pixels of its width × height");
    }
  }
  return r;
}

/** The steps a resolved request runs: all of them, or from a picture the last int(steps × strength). */
export function stepsToRun(r: ResolvedRequest): number {
  return r.strength === undefined ? r.steps : Math.min(Math.floor(r.steps * r.strength), r.steps);
}

/**
 * The size the model itself generates for a request. ONNX exports of UNets only take latents that
 * divide evenly through all their downsampling levels, so sides are rounded to the model's size
 * multiple; a model with a native size generates at about that many pixels with the request's
 * aspect ratio. Callers resize the result to the requested size (cover: scale, then centre-crop
 * the small difference in aspect).
 */
export function generationSize(
  model: LoadedModel,
  width: number,
  height: number
): [number, number] {
  const m = model.sizeMultiple;
  const round = (v: number) => Math.max(m, Math.round(v / m) * m);
  if (!model.nativeSize) return [round(width), round(height)];
  const [nw, nh] = model.nativeSize;
  if (width * height <= nw * nh) return [round(width), round(height)];
  const ratio = width / height;
  const area = nw * nh;
  return [round(Math.sqrt(area * ratio)), round(Math.sqrt(area / ratio))];
}

/** Per-image noise streams, so image k of a batch equals the same seed generated alone. */
function batchNoise(seeds: number[]): NoiseSource {
  const streams = seeds.map(seededNoise);
  return (length) => {
    const per = length / streams.length;
    const out = new Float32Array(length);
    streams.forEach((s, k) => out.set(s(per), k * per));
    return out;
  };
}

function timestepTensor(model: LoadedModel, t: number, batch: number): ort.Tensor {
  const spec = model.timestep;
  const dims = spec.shape.length === 0 ? [] : spec.shape[0] === 1 ? [1] : [batch];
  const count = dims.length === 0 ? 1 : dims[0];
  const values = new Array<number>(count).fill(t);
  if (spec.type === "int64" || spec.type === "int32")
    return intTensor(spec.type, values.map(Math.round), dims);
  return floatTensor(spec.type as "float32" | "float16", Float32Array.from(values), dims);
}

/** One request of a micro-batch, with its own progress callback and cancellation. */
export interface BatchItem {
  request: GenerateRequest;
  onStep?: (info: StepInfo) => void;
  signal?: AbortSignal;
}

export interface BatchResult extends GenerateResult {
  cancelled: boolean;
}

/**
 * Requests with the same key can share one UNet batch: everything but prompt, negative prompt,
 * seed and n must agree.
 */
export function batchKey(model: LoadedModel, request: GenerateRequest): string {
  const r = resolveRequest(model, request);
  const [w, h] = generationSize(model, r.width, r.height);
  return [
    model.dir,
    w,
    h,
    r.steps,
    r.guidance,
    r.guidanceStart,
    r.scheduler,
    r.strength ?? "-",
  ].join("|");
}

export async function generate(
  model: LoadedModel,
  request: GenerateRequest,
  options: GenerateOptions = {}
): Promise<GenerateResult> {
  const [result] = await generateBatch(
    model,
    [{ request, onStep: options.onStep, signal: options.signal }],
    options
  );
  if (result.cancelled) throw new CancelledError();
  return result;
}

/**
 * Runs several compatible requests (same batchKey) through one denoising loop: each UNet call
 * carries every image of every request. A cancelled request stops getting callbacks and is not
 * decoded; the loop itself stops only when all are cancelled.
 */
export async function generateBatch(
  model: LoadedModel,
  items: BatchItem[],
  testOptions: Pick<GenerateOptions, "initialLatents" | "stepNoise" | "imageNoise"> = {}
): Promise<BatchResult[]> {
  const resolved = items.map((item) => resolveRequest(model, item.request));
  const keys = new Set(items.map((item) => batchKey(model, item.request)));
  if (keys.size !== 1)
    throw new RequestError(
      "requests in one batch must share size, steps, guidance, scheduler and strength"
    );
  const first = resolved[0];
  const [width, height] = generationSize(model, first.width, first.height);
  const timings = new Timings();
  const total = timings.start("total");
  const h = height / model.vaeScale;
  const w = width / model.vaeScale;
  const latentSize = model.latentChannels * h * w;
  const counts = resolved.map((r) => r.n);
  const offsets = counts.map((_, j) => counts.slice(0, j).reduce((a, b) => a + b, 0));
  const n = counts.reduce((a, b) => a + b, 0);
  const seeds = resolved.map((r) => Array.from({ length: r.n }, (_, k) => (r.seed + k) % 2 ** 32));
  const noise = batchNoise(seeds.flat());
  const isCancelled = (j: number) => items[j].signal?.aborted === true;
  const checkAllCancelled = () => {
    if (items.every((_, j) => isCancelled(j))) throw new CancelledError();
  };

  // Conditioning rows: [uncond of every image, cond of every image] with guidance, [cond …] without.
  const useCfg = first.guidance > 1;
  const { family } = model;
  const condRows: Conditioning[] = [];
  const uncondRows: Conditioning[] = [];
  for (const r of resolved) {
    const cond = await family.encodePrompt(model, r.prompt, timings);
    const uncond = useCfg
      ? await family.negativeConditioning(model, r.negativePrompt, cond, timings)
      : undefined;
    for (let k = 0; k < r.n; k++) {
      condRows.push(cond);
      if (uncond) uncondRows.push(uncond);
    }
    checkAllCancelled();
  }
  const cfgFeeds = useCfg
    ? family.denoiserFeeds(model, [...uncondRows, ...condRows], width, height)
    : undefined;
  const condFeeds = family.denoiserFeeds(model, condRows, width, height);
  const scheduler = createScheduler(first.scheduler, model.schedulerConfig);
  try {
    scheduler.setTimesteps(first.steps);
  } catch (e) {
    throw new RequestError((e as Error).message);
  }
  const steps = scheduler.timesteps.length;
  // From a picture: the last int(steps × strength) steps run (diffusers' get_timesteps).
  const start = steps - stepsToRun({ ...first, steps });
  let latents: Float32Array;
  if (testOptions.initialLatents) latents = testOptions.initialLatents;
  else if (first.strength !== undefined) {
    latents = await pictureLatents(
      model,
      items,
      counts,
      offsets,
      n * latentSize,
      width,
      height,
      timings,
      testOptions.imageNoise ?? noise
    );
    latents = scheduler.addNoise(latents, (testOptions.imageNoise ?? noise)(n * latentSize), start);
  } else latents = noise(n * latentSize).map((v) => v * scheduler.initNoiseSigma);
  const stepNoise = testOptions.stepNoise ?? noise;

  const firstGuidedStep = Math.floor(first.guidanceStart * steps);
  for (let i = start; i < steps; i++) {
    checkAllCancelled();
    const t = scheduler.timesteps[i];
    const guided = cfgFeeds !== undefined && i >= firstGuidedStep;
    const rows = guided ? 2 * n : n;
    const scaled = timings.measure("scheduler", () => scheduler.scaleModelInput(latents, i));
    const out = await timings.run("unet", model.unet, {
      ...(guided ? cfgFeeds : condFeeds),
      sample: floatTensor(model.floatType, guided ? repeatRows(scaled, 2) : scaled, [
        rows,
        model.latentChannels,
        h,
        w,
      ]),
      timestep: timestepTensor(model, t, rows),
    });
    const pred = toFloat32(out[model.unet.outputNames[0]]);
    latents = timings.measure("scheduler", () => {
      let output = pred;
      if (guided) {
        const half = n * latentSize;
        output = new Float32Array(half);
        for (let k = 0; k < half; k++)
          output[k] = pred[k] + first.guidance * (pred[half + k] - pred[k]);
      }
      return scheduler.step(output, i, latents, stepNoise);
    });
    const current = latents;
    items.forEach((item, j) => {
      if (!item.onStep || isCancelled(j)) return;
      const own = () =>
        current.subarray(offsets[j] * latentSize, (offsets[j] + counts[j]) * latentSize);
      item.onStep({
        step: i - start + 1,
        steps: steps - start,
        timestep: t,
        preview: () => latentPreview(own(), counts[j], model.latentChannels, h, w, model.latentRgb),
      });
    });
  }
  checkAllCancelled();

  const results: BatchResult[] = [];
  for (let j = 0; j < items.length; j++) {
    const own = latents.slice(offsets[j] * latentSize, (offsets[j] + counts[j]) * latentSize);
    const images: RgbImage[] = [];
    const cancelled = isCancelled(j);
    for (let k = 0; k < counts[j] && !cancelled; k++) {
      images.push(
        await family.decode(
          model,
          own.subarray(k * latentSize, (k + 1) * latentSize),
          h,
          w,
          timings
        )
      );
    }
    results.push({ images, seeds: seeds[j], latents: own, width, height, timings, cancelled });
  }
  total();
  return results;
}

/**
 * Every image's starting latents, [n, C, h, w]: each request's picture, fitted to the generation
 * size and encoded once, sampled per image (noise drawn for the whole batch at once, so each image
 * takes it from its own seed's stream, before the noise add_noise uses).
 */
async function pictureLatents(
  model: LoadedModel,
  items: BatchItem[],
  counts: number[],
  offsets: number[],
  length: number,
  width: number,
  height: number,
  timings: Timings,
  noise: NoiseSource
): Promise<Float32Array> {
  const encoder = model.vaeEncoder!;
  const encoded: EncodedPicture[] = [];
  for (const item of items)
    encoded.push(
      await encodeWithVae(encoder, await fitPicture(item.request.image!, width, height), timings)
    );
  const draws = encoder.output === "latent_parameters" ? noise(length) : undefined;
  const per = length / counts.reduce((a, b) => a + b, 0);
  const out = new Float32Array(length);
  items.forEach((_, j) => {
    for (let k = 0; k < counts[j]; k++) {
      const at = (offsets[j] + k) * per;
      if (encoded[j].mean.length !== per)
        throw new ModelError(
          `vae_encoder: ${encoded[j].mean.length} latents for a ${width}×${height} picture; expected ${per}`
        );
      out.set(sampleLatents(encoded[j], encoder.scalingFactor, draws?.subarray(at, at + per)), at);
    }
  });
  return out;
}

/** The VAE decoder's raw output for given latents (already divided by the scaling factor); for tests. */
export async function decodeLatents(
  model: LoadedModel,
  z: Float32Array,
  n: number,
  h: number,
  w: number
): Promise<Float32Array> {
  const out = await model.vae.run({
    latent_sample: floatTensor(model.vaeFloatType, z, [n, model.latentChannels, h, w]),
  });
  return toFloat32(out[model.vae.outputNames[0]]);
}
