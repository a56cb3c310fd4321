// How many threads ONNX Runtime's CPU kernels split one operator across, when nobody says
// (`--threads`, LUMEN_THREADS). ORT's own default is every physical core, which pays off when an
// operator has enough work to split: a real-size UNet's convolutions and attention take tens of
// milliseconds each. A small model's operators take microseconds, and waking and joining the
// other threads costs more than it saves (docs/BENCHMARKS.md: the 19 MB embedded model runs an
// image faster on one thread than on two). The denoiser's size on disk tells the two apart.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Denoisers smaller than this run on one thread by default. */
export const SMALL_MODEL_BYTES = 100 * 2 ** 20;

/** Bytes of a component's ONNX files (model.onnx and its external data). */
export function componentBytes(dir: string, component: string): number {
  const folder = join(dir, component);
  if (!existsSync(folder)) return 0;
  return readdirSync(folder)
    .filter((f) => /\.onnx(_data)?$|\.pb$|\.bin$/.test(f))
    .reduce((sum, f) => sum + statSync(join(folder, f)).size, 0);
}

/** Intra-op threads for a model whose denoiser has this many bytes: 1 when small, else ORT's default. */
export function defaultThreads(denoiserBytes: number): number | undefined {
  return denoiserBytes < SMALL_MODEL_BYTES ? 1 : undefined;
}
