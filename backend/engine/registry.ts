// The models a Lumen installation has: every folder under the models directory that holds a
// diffusers ONNX layout. Listing reads JSON files and the ONNX files' declarations (inputs,
// operators; see onnx-info.ts), never their weights, so it is cheap enough for `lumen models`
// and GET /api/models.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expectedDevices } from "./device-support";
import { familyOf } from "./families";
import type { LumenModelFile } from "./model";
import { readOnnxInfo } from "./onnx-info";
import type { Provider } from "./providers";

/** The repository's models/ folder, or LUMEN_MODELS_DIR. */
export function modelsDir(): string {
  return resolve(
    process.env.LUMEN_MODELS_DIR ??
      join(dirname(fileURLToPath(import.meta.url)), "..", "..", "models")
  );
}

export const DEFAULT_MODEL = "lumen-landscapes";

export interface ModelSummary {
  name: string;
  dir: string;
  /** The model's family ("sd", "sdxl"), or "unsupported" when no family recognises it. */
  kind: string;
  /** fp32, fp16 or bf16 from the UNet's sample input; int8 when its graph is quantised. */
  precision: string;
  /** Execution providers with kernels for every operator the model's graphs use. */
  devices: Provider[];
  bytes: number;
  description?: string;
  defaults?: LumenModelFile["defaults"];
  nativeSize?: [number, number];
  /** The Hub repository and commit of a model installed by `lumen models pull`. */
  source?: { repo: string; commit: string };
  /** Whether it can start from a picture: its folder has a VAE encoder (`vae_encoder/`). */
  fromPicture: boolean;
}

const COMPONENTS = ["text_encoder", "text_encoder_2", "unet", "vae_decoder", "vae_encoder"];
const PRECISIONS: Record<string, string> = { float32: "fp32", float16: "fp16", bfloat16: "bf16" };
/** Operators of quantised graphs (QDQ, integer and block-quantised matrix products). */
const QUANTISED =
  /^(ai\.onnx:(DequantizeLinear|QLinear\w+|MatMulInteger|ConvInteger)|com\.microsoft:(DynamicQuantizeMatMul|MatMulNBits|MatMulIntegerToFloat|QLinear\w+|QGemm|QAttention))$/;

/** Precision and providers from the component graphs' declarations; "?" where a file is unreadable. */
function describeGraphs(dir: string): { precision: string; devices: Provider[] } {
  try {
    const operators = new Set<string>();
    let precision = "?";
    for (const component of COMPONENTS) {
      const path = join(dir, component, "model.onnx");
      if (!existsSync(path)) continue;
      const info = readOnnxInfo(path);
      for (const op of info.operators) operators.add(op);
      if (component === "unet") {
        const sample = info.inputs.find((i) => i.name === "sample");
        precision = PRECISIONS[sample?.type ?? ""] ?? sample?.type ?? "?";
        if ([...info.operators].some((op) => QUANTISED.test(op))) precision = "int8";
      }
    }
    return { precision, devices: expectedDevices(operators) };
  } catch {
    return { precision: "?", devices: [] };
  }
}

function readSource(dir: string): ModelSummary["source"] {
  try {
    const source = JSON.parse(readFileSync(join(dir, "source.json"), "utf8"));
    return typeof source.repo === "string" && typeof source.commit === "string"
      ? { repo: source.repo, commit: source.commit }
      : undefined;
  } catch {
    return undefined;
  }
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

export function describeModel(dir: string): ModelSummary {
  const lumenPath = join(dir, "lumen.json");
  const lumen: LumenModelFile = existsSync(lumenPath)
    ? JSON.parse(readFileSync(lumenPath, "utf8"))
    : {};
  const index = JSON.parse(readFileSync(join(dir, "model_index.json"), "utf8"));
  const kind = familyOf(index)?.name ?? "unsupported";
  return {
    name: lumen.name ?? dir.split("/").pop()!,
    dir,
    kind,
    ...describeGraphs(dir),
    bytes: folderBytes(dir),
    description: lumen.description,
    defaults: lumen.defaults,
    nativeSize: lumen.nativeSize,
    source: readSource(dir),
    fromPicture: existsSync(join(dir, "vae_encoder", "model.onnx")),
  };
}

export function listModels(root = modelsDir()): ModelSummary[] {
  if (!existsSync(root)) return [];
  // Hidden folders are models being installed or removed (see backend/hub/install.ts).
  return readdirSync(root, { withFileTypes: true })
    .filter(
      (e) =>
        e.isDirectory() &&
        !e.name.startsWith(".") &&
        existsSync(join(root, e.name, "model_index.json"))
    )
    .map((e) => describeModel(join(root, e.name)))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A model argument is a folder path, or the name of a folder under the models directory. */
export function resolveModelDir(nameOrPath: string | undefined): string {
  const value = nameOrPath ?? process.env.LUMEN_MODEL ?? DEFAULT_MODEL;
  if (existsSync(value)) return resolve(value);
  const named = join(modelsDir(), value);
  return existsSync(named) ? named : resolve(value);
}
