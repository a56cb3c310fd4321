// Which files of a Hub repository Lumen needs, and whether it can run the repository at all,
// decided from the file listing and model_index.json alone: a repository the engine cannot run
// is refused before any large file is downloaded.
//
// The family, its components and tokenizers are the engine's own (engine/families/).
import { posix } from "node:path";
import { familyOf as engineFamily, type ModelFamily } from "../engine/families";
import { PullError } from "./errors";

export interface RepoFile {
  path: string;
  size: number;
  /** Git blob id (SHA-1) of the file, or of its LFS pointer. */
  oid?: string;
  /** Present for files stored with Git LFS: the SHA-256 of the content. */
  lfs?: { oid: string; size: number };
}

/** The engine's name of a model family ("sd", "sdxl"). */
export type Family = string;
/** Fetched when present: image-to-image will use the encoder. */
const OPTIONAL_COMPONENTS = ["vae_encoder"];

/** Weights of other frameworks, other graph variants, documentation and pictures. */
const NOT_ONNX_WEIGHTS =
  /\.(onnx|safetensors|bin|ckpt|pt|pth|msgpack|h5|ot|gguf|tflite|xml|mlmodel|md|txt|png|jpe?g|webp|gif)$/i;
/** Root files worth keeping beside the weights: the model card and the licence. */
const ROOT_DOCS = /^(README\.md|LICEN[CS]E(\.md|\.txt)?)$/i;
const DOC_LIMIT = 1_000_000;

/**
 * The engine's family for a model_index.json's pipeline class (`_class_name`), or a reason why
 * Lumen cannot run it. Exporters prefix the diffusers class (OnnxStableDiffusionPipeline,
 * ORTStableDiffusionXLPipeline); a diffusers repository that carries an ONNX export beside its
 * PyTorch weights (stabilityai/sdxl-turbo) keeps the plain class.
 */
export function familyOf(index: Record<string, unknown>): ModelFamily | { reason: string } {
  const cls = typeof index._class_name === "string" ? index._class_name : "";
  if (!cls) return { reason: "model_index.json names no pipeline class (_class_name)" };
  if (/^OV/.test(cls)) return { reason: `it is an OpenVINO export (${cls}), not ONNX` };
  if (/^Neuron/.test(cls)) return { reason: `it is an AWS Neuron export (${cls}), not ONNX` };
  if (/^Flax/.test(cls)) return { reason: `it is a Flax checkpoint (${cls}), not ONNX` };
  return (
    engineFamily(index) ?? {
      reason: `its pipeline ${cls} is not one Lumen runs (Stable Diffusion 1.x/2.x and SDXL, as ONNX exports)`,
    }
  );
}

export interface Selection {
  family: Family;
  files: RepoFile[];
  bytes: number;
  /** Files of the repository left behind (PyTorch weights, pictures, other variants). */
  skipped: RepoFile[];
}

function dirOf(path: string): string {
  const d = posix.dirname(path);
  return d === "." ? "" : d;
}

function isTokenizerFile(name: string): boolean {
  return /\.(json|txt|model)$/i.test(name);
}

/** A file of an ONNX component folder that its model.onnx may need. */
function isComponentFile(name: string): boolean {
  if (name === "model.onnx" || name.endsWith(".json")) return true;
  if (name.startsWith(".")) return false;
  // Another graph's weights (model_fp16.onnx_data beside model_fp16.onnx) are not ours.
  const data = /^(.+)\.onnx(_data|\.data)$/.exec(name);
  if (data) return data[1] === "model";
  // Everything else may be external data of model.onnx: weights.pb (diffusers' exporter),
  // per-tensor files (torch.onnx without consolidation). The installed folder is checked against
  // the graph's own list of external files before it is used.
  return !NOT_ONNX_WEIGHTS.test(name);
}

/**
 * The files to fetch for a runnable repository, or a one-line PullError naming what is missing or
 * unsupported. `repo` only words the message.
 */
export function selectFiles(
  repo: string,
  listing: RepoFile[],
  index: Record<string, unknown>
): Selection {
  const family = familyOf(index);
  if ("reason" in family) throw new PullError(`${repo} cannot run in Lumen: ${family.reason}`);
  const byDir = new Map<string, RepoFile[]>();
  for (const f of listing) {
    const dir = dirOf(f.path);
    byDir.set(dir, [...(byDir.get(dir) ?? []), f]);
  }
  const has = (path: string) => listing.some((f) => f.path === path);
  const inDir = (dir: string) => byDir.get(dir) ?? [];
  const hasPyTorchWeights = (dir: string) =>
    inDir(dir).some((f) => /\.(safetensors|bin|ckpt|pt|pth)$/i.test(f.path));

  const problems: string[] = [];
  const pytorchOnly: string[] = [];
  const required = family;
  for (const component of [...required.components].sort()) {
    if (has(`${component}/model.onnx`)) continue;
    // diffusers keeps one "vae" folder; ONNX exports split it into vae_encoder/ and vae_decoder/.
    const pytorchDir = component === "vae_decoder" ? "vae" : component;
    if (hasPyTorchWeights(pytorchDir)) pytorchOnly.push(`${pytorchDir}/`);
    else problems.push(`${component}/model.onnx is missing`);
  }
  if (pytorchOnly.length) {
    problems.unshift(
      `${pytorchOnly.join(", ")} ${pytorchOnly.length === 1 ? "holds" : "hold"} PyTorch weights, not ONNX ` +
        "(export the model with `optimum-cli export onnx`, see docs/MODELS.md)"
    );
  }
  for (const tokenizer of required.tokenizers) {
    if (
      !has(`${tokenizer}/tokenizer.json`) &&
      !(has(`${tokenizer}/vocab.json`) && has(`${tokenizer}/merges.txt`))
    ) {
      problems.push(`${tokenizer}/ has neither tokenizer.json nor vocab.json + merges.txt`);
    }
  }
  if (!has("scheduler/scheduler_config.json"))
    problems.push("scheduler/scheduler_config.json is missing");
  if (problems.length) throw new PullError(`${repo} cannot run in Lumen: ${problems.join("; ")}`);

  const components = [
    ...required.components,
    ...OPTIONAL_COMPONENTS.filter((c) => has(`${c}/model.onnx`)),
  ];
  const wanted = (f: RepoFile): boolean => {
    const dir = dirOf(f.path);
    const name = posix.basename(f.path);
    if (dir === "")
      return name === "model_index.json" || (ROOT_DOCS.test(name) && f.size <= DOC_LIMIT);
    if (dir === "scheduler") return name === "scheduler_config.json";
    if (required.tokenizers.includes(dir)) return isTokenizerFile(name);
    if (components.includes(dir)) return isComponentFile(name);
    return false;
  };
  // Small files first, so that a failing repository fails before the large downloads.
  const files = listing
    .filter(wanted)
    .sort((a, b) => a.size - b.size || a.path.localeCompare(b.path));
  return {
    family: family.name,
    files,
    bytes: files.reduce((sum, f) => sum + f.size, 0),
    skipped: listing.filter((f) => !wanted(f)),
  };
}
