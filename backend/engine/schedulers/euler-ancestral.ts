// Euler ancestral sampling (k-diffusion's sample_euler_ancestral, eta = 1): an Euler step down to
// sigma_down, then fresh noise of size sigma_up, so the marginal at sigma_next is right.
import { EulerScheduler } from "./euler";
import type { NoiseSource } from "./types";

export class EulerAncestralScheduler extends EulerScheduler {
  override readonly name = "euler_a";

  override step(out: Float32Array, i: number, x: Float32Array, noise: NoiseSource): Float32Array {
    const { sigmas } = this.schedule;
    const from = sigmas[i];
    const to = sigmas[i + 1];
    const sigmaUp = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
    const sigmaDown = Math.sqrt(to * to - sigmaUp * sigmaUp);
    const x0 = this.schedule.predictOriginal(out, i, x);
    const z = noise(x.length);
    return x.map((v, k) => v + ((v - x0[k]) / from) * (sigmaDown - from) + z[k] * sigmaUp);
  }
}
