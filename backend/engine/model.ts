// A model folder in the diffusers ONNX layout, opened once: its tokenizers, one ONNX Runtime
// session per component, the scheduler config and Lumen's own defaults (lumen.json).
// Everything the pipeline needs to know about dtypes and shapes is read here from the sessions'
// metadata, so the pipeline never assumes an export's conventions.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type * as ort from "onnxruntime-node";
import { ModelError } from "./errors";
import { openFirstSession, openSession, type Provider, type RuntimeOptions } from "./providers";
import { defaultSchedulerName, type SchedulerConfig, type SchedulerName } from "./schedulers";
import type { FloatType } from "./tensors";
import { loadTokenizer, type PromptTokenizer } from "./tokenizer";
import { unknownToAll } from "./vocabulary";

export type ModelKind = "sd" | "sdxl";

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
  latentRgb?: number[][];
  latentRgbBias?: number[];
}

interface InputSpec {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

export interface TextEncoder {
  session: ort.InferenceSession;
  tokenizer: PromptTokenizer;
  idsType: "int32" | "int64";
  /** The output whose hidden states condition the UNet. */
  hiddenOutput: string;
  /** Pooled output (SDXL's second encoder), if the pipeline needs one. */
  pooledOutput?: string;
}

export interface LoadedModel {
  name: string;
  dir: string;
  kind: ModelKind;
  provider: Provider;
  encoders: TextEncoder[];
  unet: ort.InferenceSession;
  vae: ort.InferenceSession;
  floatType: FloatType;
  timestep: InputSpec;
  latentChannels: number;
  vaeScale: number;
  vaeScalingFactor: number;
  schedulerConfig: Partial<SchedulerConfig>;
  defaults: ModelDefaults;
  /** Size the model was trained at; larger requests are generated at this size and upscaled. */
  nativeSize?: [number, number];
  sizeMultiple: number;
  latentRgb: { weights: number[][]; bias: number[] };
  forceZerosForEmptyNegative: boolean;
  /** lumen.json's domain: what the model paints. */
  domain?: string;
  /** The prompt's words that no text encoder of the model can read (see vocabulary.ts). */
  unknownWords(text: string): string[];
  release(): Promise<void>;
}

// Linear latent → RGB (0..1) projections for previews: widely published least-squares fits.
const SD_LATENT_RGB = {
  weights: [
    [0.149, 0.1035, 0.104],
    [0.0935, 0.143, 0.0865],
    [-0.079, 0.0945, 0.132],
    [-0.092, -0.1355, -0.2365],
  ],
  bias: [0.5, 0.5, 0.5],
};
const SDXL_LATENT_RGB = {
  weights: [
    [0.1826, 0.2116, 0.2171],
    [-0.1267, -0.0021, 0.0534],
    [0.0538, 0.0556, -0.0181],
    [-0.1583, -0.1246, -0.1094],
  ],
  bias: [0.5542, 0.4913, 0.4995],
};

async function readJsonIfExists<T>(path: string): Promise<T | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (e) {
    throw new ModelError(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function inputSpecs(session: ort.InferenceSession): InputSpec[] {
  return session.inputMetadata.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : "non-tensor",
    shape: m.isTensor ? m.shape : [],
  }));
}

function requireInputs(component: string, session: ort.InferenceSession, names: string[]): Map<string, InputSpec> {
  const specs = new Map(inputSpecs(session).map((s) => [s.name, s]));
  const missing = names.filter((n) => !specs.has(n));
  const extra = [...specs.keys()].filter((n) => !names.includes(n));
  if (missing.length || extra.length) {
    throw new ModelError(
      `${component}: unexpected inputs [${[...specs.keys()].join(", ")}]; expected [${names.join(", ")}]`,
    );
  }
  return specs;
}

function componentFile(dir: string, component: string): string {
  const path = join(dir, component, "model.onnx");
  if (!existsSync(path)) throw new ModelError(`${component}: ${path} is missing`);
  return path;
}

/** The highest `hidden_states.N` output minus one: the penultimate layer SDXL conditions on. */
function penultimateHiddenState(component: string, outputs: readonly string[]): string {
  const layers = outputs
    .map((n) => /^hidden_states\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  if (layers.length < 2) {
    throw new ModelError(`${component}: SDXL needs hidden_states.N outputs; found [${outputs.join(", ")}]`);
  }
  return `hidden_states.${Math.max(...layers) - 1}`;
}

function floatTypeOf(component: string, spec: InputSpec): FloatType {
  if (spec.type === "float32" || spec.type === "float16") return spec.type;
  throw new ModelError(`${component}: input ${spec.name} is ${spec.type}; expected float32 or float16`);
}

export async function loadModel(dirIn: string, runtime: RuntimeOptions = {}): Promise<LoadedModel> {
  const dir = resolve(dirIn);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelError(`model folder ${dirIn} does not exist`);
  const index = await readJsonIfExists<Record<string, unknown>>(join(dir, "model_index.json"));
  if (!index) throw new ModelError(`${dirIn} is not a diffusers model folder: model_index.json is missing`);
  const lumen = (await readJsonIfExists<LumenModelFile>(join(dir, "lumen.json"))) ?? {};
  const kind: ModelKind =
    existsSync(join(dir, "text_encoder_2")) || /XL/.test(String(index._class_name ?? "")) ? "sdxl" : "sd";

  const schedulerConfig = await readJsonIfExists<Partial<SchedulerConfig>>(
    join(dir, "scheduler", "scheduler_config.json"),
  );
  if (!schedulerConfig) throw new ModelError(`scheduler: ${join(dir, "scheduler", "scheduler_config.json")} is missing`);
  const vaeConfig = (await readJsonIfExists<{ scaling_factor?: number }>(join(dir, "vae_decoder", "config.json"))) ?? {};

  // Open the UNet first: it is the largest, and the provider that opens it serves the rest.
  const unetPath = componentFile(dir, "unet");
  const paths = {
    vae: componentFile(dir, "vae_decoder"),
    enc1: componentFile(dir, "text_encoder"),
    enc2: kind === "sdxl" ? componentFile(dir, "text_encoder_2") : undefined,
  };
  const opened: ort.InferenceSession[] = [];
  const open = async (component: string, path: string, provider: Provider) => {
    try {
      const s = await openSession(path, provider, runtime.threads);
      opened.push(s);
      return s;
    } catch (e) {
      throw new ModelError(`${component}: cannot load ${path}: ${String((e as Error).message).split("\n")[0]}`);
    }
  };
  let first: Awaited<ReturnType<typeof openFirstSession>>;
  try {
    first = await openFirstSession(unetPath, runtime);
  } catch (e) {
    const message = String((e as Error).message).split("\n")[0];
    throw new ModelError(/execution provider/.test(message) ? message : `unet: cannot load ${unetPath}: ${message}`);
  }
  const { session: unet, provider } = first;
  opened.push(unet);
  try {
    const unetInputs =
      kind === "sdxl"
        ? ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"]
        : ["sample", "timestep", "encoder_hidden_states"];
    const unetSpecs = requireInputs("unet", unet, unetInputs);
    const sample = unetSpecs.get("sample")!;
    const timestep = unetSpecs.get("timestep")!;
    if (!["float32", "float16", "int64", "int32"].includes(timestep.type)) {
      throw new ModelError(`unet: timestep is ${timestep.type}; expected a float or integer tensor`);
    }
    const vae = await open("vae_decoder", paths.vae, provider);
    requireInputs("vae_decoder", vae, ["latent_sample"]);

    const encoders: TextEncoder[] = [];
    const encoderParts: Array<[string, string, string]> = [["text_encoder", paths.enc1, "tokenizer"]];
    if (paths.enc2) encoderParts.push(["text_encoder_2", paths.enc2, "tokenizer_2"]);
    for (const [component, path, tokenizerDir] of encoderParts) {
      const session = await open(component, path, provider);
      const ids = requireInputs(component, session, ["input_ids"]).get("input_ids")!;
      if (ids.type !== "int32" && ids.type !== "int64") {
        throw new ModelError(`${component}: input_ids is ${ids.type}; expected int32 or int64`);
      }
      const outputs = session.outputNames;
      let hiddenOutput = "last_hidden_state";
      let pooledOutput: string | undefined;
      if (kind === "sdxl") {
        hiddenOutput = penultimateHiddenState(component, outputs);
        if (component === "text_encoder_2") {
          pooledOutput = outputs.find((n) => n === "text_embeds");
          if (!pooledOutput) throw new ModelError(`${component}: SDXL needs a text_embeds output`);
        }
      } else if (!outputs.includes(hiddenOutput)) {
        throw new ModelError(`${component}: no last_hidden_state output; found [${outputs.join(", ")}]`);
      }
      const tokenizer = await loadTokenizer(join(dir, tokenizerDir), tokenizerDir);
      encoders.push({ session, tokenizer, idsType: ids.type, hiddenOutput, pooledOutput });
    }

    const channels = typeof sample.shape[1] === "number" ? sample.shape[1] : 4;
    const defaults: ModelDefaults = {
      steps: kind === "sdxl" ? 30 : 25,
      guidance: kind === "sdxl" ? 5 : 7.5,
      guidanceStart: 0,
      scheduler: defaultSchedulerName(schedulerConfig),
      width: kind === "sdxl" ? 1024 : 512,
      height: kind === "sdxl" ? 1024 : 512,
      ...(/turbo/i.test(basename(dir)) ? { steps: 1, guidance: 0, scheduler: "euler" as const } : {}),
      ...(lumen.nativeSize ? { width: lumen.nativeSize[0], height: lumen.nativeSize[1] } : {}),
      ...lumen.defaults,
    };
    return {
      name: lumen.name ?? basename(dir),
      dir,
      kind,
      provider,
      encoders,
      unet,
      vae,
      floatType: floatTypeOf("unet", sample),
      timestep,
      latentChannels: channels,
      vaeScale: 8,
      vaeScalingFactor: vaeConfig.scaling_factor ?? (kind === "sdxl" ? 0.13025 : 0.18215),
      schedulerConfig,
      defaults,
      nativeSize: lumen.nativeSize,
      sizeMultiple: lumen.sizeMultiple ?? 64,
      latentRgb:
        lumen.latentRgb && lumen.latentRgbBias
          ? { weights: lumen.latentRgb, bias: lumen.latentRgbBias }
          : kind === "sdxl"
            ? SDXL_LATENT_RGB
            : SD_LATENT_RGB,
      forceZerosForEmptyNegative: kind === "sdxl" && index.force_zeros_for_empty_negative_prompt !== false,
      domain: lumen.domain,
      unknownWords: (text) => unknownToAll(encoders.map((e) => e.tokenizer.unknownWords), text),
      release: async () => {
        await Promise.all(opened.map((s) => s.release()));
      },
    };
  } catch (e) {
    await Promise.all(opened.map((s) => s.release().catch(() => undefined)));
    throw e;
  }
}
