// The models a Lumen installation has: every folder under the models directory that holds a
// diffusers ONNX layout. Listing reads only JSON files, so it is cheap enough for `lumen models`
// and GET /api/models.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { LumenModelFile, ModelKind } from "./model";

/** The repository's models/ folder, or LUMEN_MODELS_DIR. */
export function modelsDir(): string {
  return resolve(process.env.LUMEN_MODELS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "models"));
}

export const DEFAULT_MODEL = "lumen-landscapes";

export interface ModelSummary {
  name: string;
  dir: string;
  kind: ModelKind;
  bytes: number;
  description?: string;
  defaults?: LumenModelFile["defaults"];
  nativeSize?: [number, number];
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
  const lumen: LumenModelFile = existsSync(lumenPath) ? JSON.parse(readFileSync(lumenPath, "utf8")) : {};
  const index = JSON.parse(readFileSync(join(dir, "model_index.json"), "utf8"));
  const kind: ModelKind = existsSync(join(dir, "text_encoder_2")) || /XL/.test(String(index._class_name)) ? "sdxl" : "sd";
  return {
    name: lumen.name ?? dir.split("/").pop()!,
    dir,
    kind,
    bytes: folderBytes(dir),
    description: lumen.description,
    defaults: lumen.defaults,
    nativeSize: lumen.nativeSize,
  };
}

export function listModels(root = modelsDir()): ModelSummary[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(root, e.name, "model_index.json")))
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
