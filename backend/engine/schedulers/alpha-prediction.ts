// The variance-preserving view shared by DDIM and LCM: x_t = sqrt(ᾱ_t)·x_0 + sqrt(1 - ᾱ_t)·ε.
import type { SchedulerConfig } from "./types";

/** x_0 and ε implied by the model output at a timestep with cumulative alpha `a`. */
export function predictOriginalAndNoise(
  config: SchedulerConfig,
  out: Float32Array,
  x: Float32Array,
  a: number,
): { x0: Float32Array; eps: Float32Array } {
  const sa = Math.sqrt(a);
  const sb = Math.sqrt(1 - a);
  if (config.prediction_type === "epsilon") {
    return { x0: x.map((v, k) => (v - sb * out[k]) / sa), eps: out };
  }
  return { x0: x.map((v, k) => sa * v - sb * out[k]), eps: x.map((v, k) => sa * out[k] + sb * v) };
}

/** Cumulative alpha of the timestep after step i, or the final one after the last step. */
export function previousAlpha(alphas: number[], config: SchedulerConfig, timesteps: number[], i: number): number {
  if (i + 1 < timesteps.length) return alphas[timesteps[i + 1]];
  return config.set_alpha_to_one ? 1 : alphas[0];
}
