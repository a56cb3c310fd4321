// ONNX Runtime CPU settings that fit a model's size, for when nobody chooses them:
// - intra-op threads: ORT's own default is every physical core, which pays off when an operator
//   has enough work to split (a real-size UNet's convolutions and attention take tens of
//   milliseconds each); a small model's operators take microseconds, and waking and joining the
//   other threads costs more than it saves (the 19 MB embedded model draws an image faster on
//   one thread than on two);
// - the CPU memory arena: ORT keeps each session's activation memory for the next run. For small
//   models that saves allocations; for real-size ones it holds gigabytes per session (1.4 GB for
//   an SD UNet at 512²) while the next component runs, and malloc'ing those large blocks per run
//   costs nothing measurable, so large models run without it;
// - weight prepacking in the text encoders: ORT keeps a packed copy of MatMul weights for its
//   kernels, which for a real-size CLIP encoder is 0.4–0.55 GB more resident memory (SD-Turbo's:
//   peak 2.1 against 1.6 GB); an encoder runs once per prompt and measured as fast without it, so
//   large models' encoders skip it. The UNet keeps it: it runs every step.
// The denoiser's size on disk tells the two kinds apart. Numbers in docs/BENCHMARKS.md.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Denoisers smaller than this count as small. */
export const SMALL_MODEL_BYTES = 100 * 2 ** 20;

export interface CpuSettings {
  /** Intra-op threads; undefined leaves ORT's default (every physical core). */
  threads?: number;
  /** Keep ORT's CPU memory arena. */
  memArena: boolean;
  /** Let ORT prepack the text encoders' weights. */
  prepackEncoders: boolean;
}

/** Bytes of a component's ONNX files (model.onnx and its external data). */
export function componentBytes(dir: string, component: string): number {
  const folder = join(dir, component);
  if (!existsSync(folder)) return 0;
  return readdirSync(folder)
    .filter((f) => /\.onnx(_data)?$|\.pb$|\.bin$/.test(f))
    .reduce((sum, f) => sum + statSync(join(folder, f)).size, 0);
}

export function cpuSettings(denoiserBytes: number): CpuSettings {
  const small = denoiserBytes < SMALL_MODEL_BYTES;
  return { threads: small ? 1 : undefined, memArena: small, prepackEncoders: small };
}
