// A model folder in the diffusers ONNX layout, opened once: its family, one ONNX Runtime session
// per component, the scheduler config and Lumen's own defaults (lumen.json).
// Everything the pipeline needs to know about dtypes and shapes is read here from the sessions'
// metadata, so the pipeline never assumes an export's conventions; what differs per family
// (components, prompt encoding, denoiser inputs, decoding) is the family's.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type * as ort from "onnxruntime-node";
import { chooseDecoder, decoderScalingFactor, type DecoderComponent } from "./decoder";
import { ModelError } from "./errors";
import {
  isFewStepDistilled,
  recogniseFamily,
  type LatentRgb,
  type ModelFamily,
  type ModelIndex,
  type TextEncoder,
} from "./families";
import { openFirstSession, openSession, type Provider, type RuntimeOptions } from "./providers";
import { defaultSchedulerName, type SchedulerConfig, type SchedulerName } from "./schedulers";
import { floatTypeOf, requireInputs, type InputSpec } from "./session-specs";
import { componentBytes, cpuSettings } from "./cpu-settings";
import type { FloatType } from "./tensors";
import { unknownToAll } from "./vocabulary";

export type { TextEncoder } from "./families";

export interface ModelDefaults {
  steps: number;
  guidance: number;
  /** Fraction of the steps before guidance starts (0: guide every step). */
  guidanceStart: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
}

/** lumen.json: what a model folder may add to the diffusers layout. */
export interface LumenModelFile {
  name?: string;
  description?: string;
  /** What the model paints, for messages: "landscapes and light". */
  domain?: string;
  defaults?: Partial<ModelDefaults>;
  nativeSize?: [number, number];
  /** Sides the UNet accepts are multiples of this many pixels (default 64, safe for SD exports). */
  sizeMultiple?: number;
  /** Pixels per latent pixel of the autoencoder (default 8, as in every SD family). */
  vaeScale?: number;
  latentRgb?: number[][];
  latentRgbBias?: number[];
}

/**
 * The VAE's encoder (`vae_encoder/`), for starting from a picture. Exports name its output by what
 * it holds: `latent_parameters` (optimum today) is the latent distribution's mean and log-variance
 * concatenated on the channel axis, sampled here with the job's seeded noise; `latent_sample`
 * (older optimum and diffusers exports) is a sample the graph drew itself.
 */
export interface VaeEncoder {
  session: ort.InferenceSession;
  output: "latent_parameters" | "latent_sample";
  floatType: FloatType;
  /** Encoded latents are multiplied by this before denoising: the full VAE's, whatever decodes. */
  scalingFactor: number;
}

export const ENCODER_OUTPUTS = ["latent_parameters", "latent_sample"] as const;

export interface LoadedModel {
  name: string;
  dir: string;
  family: ModelFamily;
  /** model_index.json as the folder has it. */
  index: ModelIndex;
  provider: Provider;
  /** Intra-op threads of the CPU kernels: as asked, or chosen by the denoiser's size (cpu-settings.ts); undefined = ORT's own (every core). */
  threads?: number;
  /** Whether ORT keeps each session's activation memory between runs (cpu-settings.ts). */
  memArena: boolean;
  encoders: TextEncoder[];
  unet: ort.InferenceSession;
  /** The decoder session: the full VAE's, or the tiny one's (see decoder.ts). */
  vae: ort.InferenceSession;
  decoder: DecoderComponent;
  /** Present when the folder has a `vae_encoder/`: the model can start from a picture. */
  vaeEncoder?: VaeEncoder;
  /** The denoiser's float type (its inputs and the conditioning fed to it). */
  floatType: FloatType;
  /** The decoder's own float type: a folder may pair a float32 UNet with a float16 decoder. */
  vaeFloatType: FloatType;
  timestep: InputSpec;
  latentChannels: number;
  vaeScale: number;
  vaeScalingFactor: number;
  schedulerConfig: Partial<SchedulerConfig>;
  defaults: ModelDefaults;
  /** Size the model was trained at; larger requests are generated at this size and upscaled. */
  nativeSize?: [number, number];
  sizeMultiple: number;
  latentRgb: LatentRgb;
  /** lumen.json's domain: what the model paints. */
  domain?: string;
  /** The prompt's words that no text encoder of the model can read (see vocabulary.ts). */
  unknownWords(text: string): string[];
  release(): Promise<void>;
}

async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (e) {
    throw new ModelError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function componentFile(dir: string, component: string): string {
  const path = join(dir, component, "model.onnx");
  if (!existsSync(path)) throw new ModelError(`${component}: ${path} is missing`);
  return path;
}

export async function loadModel(dirIn: string, runtime: RuntimeOptions = {}): Promise<LoadedModel> {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new ModelError(`model folder ${dirIn} does not exist`);
  const index = await readJsonIfExists<ModelIndex>(join(dir, "model_index.json"));
  if (!index)
    throw new ModelError(`${dirIn} is not a diffusers model folder: model_index.json is missing`);
  const family = recogniseFamily(index);
  const lumen = (await readJsonIfExists<LumenModelFile>(join(dir, "lumen.json"))) ?? {};

  const schedulerConfig = await readJsonIfExists<Partial<SchedulerConfig>>(
    join(dir, "scheduler", "scheduler_config.json")
  );
  if (!schedulerConfig)
    throw new ModelError(
      `scheduler: ${join(dir, "scheduler", "scheduler_config.json")} is missing`
    );
  const decoder = chooseDecoder(dir, runtime.decoder);
  const vaeScalingFactor = await decoderScalingFactor(dir, decoder, family.vaeScalingFactor);

  // Every component file must be there before the first (slow) session is opened.
  const paths = new Map(family.components.map((c) => [c, componentFile(dir, c)]));
  const opened: ort.InferenceSession[] = [];
  const bySize = cpuSettings(componentBytes(dir, "unet"));
  const threads = runtime.threads ?? bySize.threads;
  const memArena = runtime.memArena ?? bySize.memArena;
  const settings = { threads, memArena };
  // Open the UNet first: it is the largest, and the provider that opens it serves the rest.
  const unetPath = paths.get("unet")!;
  let first: Awaited<ReturnType<typeof openFirstSession>>;
  try {
    first = await openFirstSession(unetPath, { ...runtime, ...settings });
  } catch (e) {
    const message = String((e as Error).message).split("\n")[0];
    throw new ModelError(
      /execution provider/.test(message) ? message : `unet: cannot load ${unetPath}: ${message}`
    );
  }
  const { session: unet, provider } = first;
  opened.push(unet);
  const open = async (component: string) => {
    const path = paths.get(component) ?? componentFile(dir, component);
    try {
      const prepack = bySize.prepackEncoders || !component.startsWith("text_encoder");
      const s = await openSession(path, provider, { ...settings, prepack });
      opened.push(s);
      return s;
    } catch (e) {
      throw new ModelError(
        `${component}: cannot load ${path}: ${String((e as Error).message).split("\n")[0]}`
      );
    }
  };
  try {
    const unetSpecs = requireInputs("unet", unet, family.denoiserInputs);
    const sample = unetSpecs.get("sample")!;
    const timestep = unetSpecs.get("timestep")!;
    if (!["float32", "float16", "int64", "int32"].includes(timestep.type)) {
      throw new ModelError(
        `unet: timestep is ${timestep.type}; expected a float or integer tensor`
      );
    }
    const vae = await open(decoder);
    const latentSample = requireInputs(decoder, vae, ["latent_sample"]).get("latent_sample")!;
    const encoders = await family.openEncoders({ dir, index, open });
    const vaeEncoder = existsSync(join(dir, "vae_encoder", "model.onnx"))
      ? await openVaeEncoder(dir, family, open)
      : undefined;

    const channels = typeof sample.shape[1] === "number" ? sample.shape[1] : 4;
    const defaults: ModelDefaults = {
      ...family.defaults(isFewStepDistilled(schedulerConfig)),
      guidanceStart: 0,
      scheduler: defaultSchedulerName(schedulerConfig),
      ...(lumen.nativeSize ? { width: lumen.nativeSize[0], height: lumen.nativeSize[1] } : {}),
      ...lumen.defaults,
    };
    return {
      name: lumen.name ?? basename(dir),
      dir,
      family,
      index,
      provider,
      threads,
      memArena,
      encoders,
      unet,
      vae,
      decoder,
      vaeEncoder,
      floatType: floatTypeOf("unet", sample),
      vaeFloatType: floatTypeOf(decoder, latentSample),
      timestep,
      latentChannels: channels,
      vaeScale: lumen.vaeScale ?? 8,
      vaeScalingFactor,
      schedulerConfig,
      defaults,
      nativeSize: lumen.nativeSize,
      sizeMultiple: lumen.sizeMultiple ?? 64,
      latentRgb:
        lumen.latentRgb && lumen.latentRgbBias
          ? { weights: lumen.latentRgb, bias: lumen.latentRgbBias }
          : family.latentRgb,
      domain: lumen.domain,
      unknownWords: (text) =>
        unknownToAll(
          encoders.map((e) => e.tokenizer.unknownWords),
          text
        ),
      release: async () => {
        await Promise.all(opened.map((s) => s.release()));
      },
    };
  } catch (e) {
    await Promise.all(opened.map((s) => s.release().catch(() => undefined)));
    throw e;
  }
}

async function openVaeEncoder(
  dir: string,
  family: ModelFamily,
  open: (component: string) => Promise<ort.InferenceSession>
): Promise<VaeEncoder> {
  const session = await open("vae_encoder");
  const sample = requireInputs("vae_encoder", session, ["sample"]).get("sample")!;
  const output = ENCODER_OUTPUTS.find((name) => session.outputNames.includes(name));
  if (!output) {
    throw new ModelError(
      `vae_encoder: outputs [${session.outputNames.join(", ")}]; expected ${ENCODER_OUTPUTS.join(" or ")}`
    );
  }
  return {
    session,
    output,
    floatType: floatTypeOf("vae_encoder", sample),
    // Its own config's factor; else the full decoder's (a tiny decoder's folder may hold TAESD's 1.0).
    scalingFactor: await decoderScalingFactor(
      dir,
      "vae_encoder",
      await decoderScalingFactor(dir, "vae_decoder", family.vaeScalingFactor)
    ),
  };
}
