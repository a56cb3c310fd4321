// Latent Consistency Model multistep sampling (Luo et al. 2023, Algorithm 1): each step maps x_t to
// a clean estimate through the consistency boundary condition, then re-noises it to the next
// timestep with fresh noise.
import { AlphaScheduler, predictOriginalAndNoise } from "./alpha-prediction";
import type { NoiseSource } from "./types";

const SIGMA_DATA = 0.5;
const TIMESTEP_SCALING = 10;

export class LcmScheduler extends AlphaScheduler {
  readonly name = "lcm";

  /**
   * Picks `steps` timesteps from the distillation schedule of `original_inference_steps` as
   * diffusers does: the indices floor(linspace(0, original, steps, endpoint=False)) into it, highest
   * first (4 of 50: 999, 759, 499, 259).
   */
  setTimesteps(steps: number): void {
    const T = this.config.num_train_timesteps;
    const original = this.config.original_inference_steps;
    if (!Number.isInteger(steps) || steps < 1 || steps > original) {
      throw new RangeError(`steps must be an integer from 1 to ${original} for LCM, got ${steps}`);
    }
    const ratio = Math.floor(T / original);
    const origin = Array.from({ length: original }, (_, i) => (original - i) * ratio - 1);
    // i · (original / steps), as NumPy's linspace computes it, so the floor agrees with it exactly.
    const spacing = original / steps;
    this.timesteps = Array.from({ length: steps }, (_, i) => origin[Math.floor(i * spacing)]);
  }

  step(out: Float32Array, i: number, x: Float32Array, noise: NoiseSource): Float32Array {
    const t = this.timesteps[i];
    const scaled = t * TIMESTEP_SCALING;
    const cSkip = SIGMA_DATA ** 2 / (scaled ** 2 + SIGMA_DATA ** 2);
    const cOut = scaled / Math.sqrt(scaled ** 2 + SIGMA_DATA ** 2);
    const { x0 } = predictOriginalAndNoise(this.config, out, x, this.alphas[t]);
    const denoised = x.map((v, k) => cOut * x0[k] + cSkip * v);
    if (i === this.timesteps.length - 1) return denoised;
    const aPrev = this.previousAlpha(i);
    const z = noise(x.length);
    return denoised.map((v, k) => Math.sqrt(aPrev) * v + Math.sqrt(1 - aPrev) * z[k]);
  }
}
