// DDIM with eta = 0 (Song et al. 2021, eq. 12): deterministic, in unscaled x_t space.
import { AlphaScheduler, predictOriginalAndNoise } from "./alpha-prediction";
import { roundHalfEven, spacedTimesteps } from "./noise-schedule";

export class DdimScheduler extends AlphaScheduler {
  readonly name = "ddim";

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps).map(roundHalfEven);
  }

  step(out: Float32Array, i: number, x: Float32Array): Float32Array {
    const t = this.timesteps[i];
    const a = this.alphas[t];
    // diffusers steps to t − T // n whatever the spacing (with "linspace" that is not the next
    // timestep of the schedule); below 0, to the final alpha.
    const prev = t - Math.floor(this.config.num_train_timesteps / this.timesteps.length);
    const aPrev = prev >= 0 ? this.alphas[prev] : this.finalAlpha();
    const { x0, eps } = predictOriginalAndNoise(this.config, out, x, a);
    const sa = Math.sqrt(aPrev);
    const sb = Math.sqrt(1 - aPrev);
    return x0.map((v, k) => sa * v + sb * eps[k]);
  }
}
