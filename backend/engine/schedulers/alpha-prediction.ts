// The variance-preserving view shared by DDIM and LCM: x_t = sqrt(ᾱ_t)·x_0 + sqrt(1 - ᾱ_t)·ε.
import { alphasCumprod } from "./noise-schedule";
import type { NoiseSource, Scheduler, SchedulerConfig } from "./types";

/** Samplers that work on unscaled x_t with the cumulative alphas directly (DDIM, LCM). */
export abstract class AlphaScheduler implements Scheduler {
  abstract readonly name: string;
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  protected readonly alphas: number[];

  constructor(protected readonly config: SchedulerConfig) {
    this.alphas = alphasCumprod(config);
  }

  abstract setTimesteps(steps: number): void;
  abstract step(out: Float32Array, i: number, x: Float32Array, noise: NoiseSource): Float32Array;

  scaleModelInput(x: Float32Array): Float32Array {
    return x;
  }

  addNoise(x0: Float32Array, noise: Float32Array, i: number): Float32Array {
    const a = this.alphas[this.timesteps[i]];
    const sa = Math.sqrt(a);
    const sb = Math.sqrt(1 - a);
    return x0.map((v, k) => sa * v + sb * noise[k]);
  }

  /** Cumulative alpha of the timestep after step i, or the final one after the last step. */
  protected previousAlpha(i: number): number {
    if (i + 1 < this.timesteps.length) return this.alphas[this.timesteps[i + 1]];
    return this.finalAlpha();
  }

  /** ᾱ after the last step: 1, or ᾱ_0 when set_alpha_to_one is false. */
  protected finalAlpha(): number {
    return this.config.set_alpha_to_one ? 1 : this.alphas[0];
  }
}

/** x_0 and ε implied by the model output at a timestep with cumulative alpha `a`. */
export function predictOriginalAndNoise(
  config: SchedulerConfig,
  out: Float32Array,
  x: Float32Array,
  a: number
): { x0: Float32Array; eps: Float32Array } {
  const sa = Math.sqrt(a);
  const sb = Math.sqrt(1 - a);
  if (config.prediction_type === "epsilon") {
    return { x0: x.map((v, k) => (v - sb * out[k]) / sa), eps: out };
  }
  return { x0: x.map((v, k) => sa * v - sb * out[k]), eps: x.map((v, k) => sa * out[k] + sb * v) };
}
