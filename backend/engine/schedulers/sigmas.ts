// Karras-style sigma view of a discrete schedule, shared by the Euler samplers:
// x_t = x_0 + sigma_t · noise with sigma_t = sqrt((1 - ᾱ_t) / ᾱ_t).
import { alphasCumprod, interpolate, spacedTimesteps } from "./noise-schedule";
import type { SchedulerConfig } from "./types";

export class SigmaSchedule {
  private readonly trainSigmas: number[];
  timesteps: number[] = [];
  /** One sigma per step, then a final 0. */
  sigmas: number[] = [];

  constructor(private readonly config: SchedulerConfig) {
    const ac = alphasCumprod(config);
    // A zero-terminal-SNR schedule has ᾱ_T = 0 and an infinite sigma; a tiny ᾱ keeps it finite.
    if (config.rescale_betas_zero_snr) ac[ac.length - 1] = 2 ** -24;
    this.trainSigmas = ac.map((a) => Math.sqrt((1 - a) / a));
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps);
    this.sigmas = [...this.timesteps.map((t) => interpolate(this.trainSigmas, t)), 0];
  }

  get initNoiseSigma(): number {
    const max = Math.max(...this.sigmas);
    const spacing = this.config.timestep_spacing;
    return spacing === "linspace" || spacing === "trailing" ? max : Math.sqrt(max * max + 1);
  }

  addNoise(x0: Float32Array, noise: Float32Array, i: number): Float32Array {
    const sigma = this.sigmas[i];
    return x0.map((v, k) => v + noise[k] * sigma);
  }

  /** The UNet sees x / sqrt(sigma² + 1), i.e. a sample with unit variance. */
  scaleModelInput(x: Float32Array, i: number): Float32Array {
    const s = 1 / Math.sqrt(this.sigmas[i] ** 2 + 1);
    return x.map((v) => v * s);
  }

  /** The model's estimate of the clean sample x_0 at step i. */
  predictOriginal(out: Float32Array, i: number, x: Float32Array): Float32Array {
    const sigma = this.sigmas[i];
    if (this.config.prediction_type === "epsilon") return x.map((v, k) => v - sigma * out[k]);
    const c = 1 / (sigma * sigma + 1);
    return x.map((v, k) => out[k] * (-sigma * Math.sqrt(c)) + v * c);
  }
}
