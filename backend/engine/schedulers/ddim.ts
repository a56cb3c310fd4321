// DDIM with eta = 0 (Song et al. 2021, eq. 12): deterministic, in unscaled x_t space.
import { predictOriginalAndNoise, previousAlpha } from "./alpha-prediction";
import { alphasCumprod, roundHalfEven, spacedTimesteps } from "./noise-schedule";
import type { Scheduler, SchedulerConfig } from "./types";

export class DdimScheduler implements Scheduler {
  readonly name = "ddim";
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  private readonly alphas: number[];

  constructor(private readonly config: SchedulerConfig) {
    this.alphas = alphasCumprod(config);
  }

  setTimesteps(steps: number): void {
    this.timesteps = spacedTimesteps(this.config, steps).map(roundHalfEven);
  }

  scaleModelInput(x: Float32Array): Float32Array {
    return x;
  }

  step(out: Float32Array, i: number, x: Float32Array): Float32Array {
    const a = this.alphas[this.timesteps[i]];
    const aPrev = previousAlpha(this.alphas, this.config, this.timesteps, i);
    const { x0, eps } = predictOriginalAndNoise(this.config, out, x, a);
    const sa = Math.sqrt(aPrev);
    const sb = Math.sqrt(1 - aPrev);
    return x0.map((v, k) => sa * v + sb * eps[k]);
  }
}
