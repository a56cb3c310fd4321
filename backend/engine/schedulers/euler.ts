// Euler method on the probability-flow ODE (Karras et al. 2022, Algorithm 2 without churn).
import { SigmaSchedule } from "./sigmas";
import type { NoiseSource, Scheduler, SchedulerConfig } from "./types";

export class EulerScheduler implements Scheduler {
  readonly name: string = "euler";
  protected readonly schedule: SigmaSchedule;

  constructor(config: SchedulerConfig) {
    this.schedule = new SigmaSchedule(config);
  }

  get timesteps(): number[] {
    return this.schedule.timesteps;
  }
  get initNoiseSigma(): number {
    return this.schedule.initNoiseSigma;
  }
  setTimesteps(steps: number): void {
    this.schedule.setTimesteps(steps);
  }
  scaleModelInput(x: Float32Array, i: number): Float32Array {
    return this.schedule.scaleModelInput(x, i);
  }
  addNoise(x0: Float32Array, noise: Float32Array, i: number): Float32Array {
    return this.schedule.addNoise(x0, noise, i);
  }

  step(out: Float32Array, i: number, x: Float32Array, _noise?: NoiseSource): Float32Array {
    const { sigmas } = this.schedule;
    const x0 = this.schedule.predictOriginal(out, i, x);
    const dt = sigmas[i + 1] - sigmas[i];
    return x.map((v, k) => v + ((v - x0[k]) / sigmas[i]) * dt);
  }
}
