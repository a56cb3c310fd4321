// Seeded standard-normal noise: xoroshiro128+ (pure-rand) for uniforms, Box–Muller for normals.
// The same seed gives the same latents on every platform, which byte-identical outputs rely on.
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { NoiseSource } from "./schedulers";

export function seededNoise(seed: number): NoiseSource {
  const rng = xoroshiro128plus(seed | 0);
  return (length: number) => {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i += 2) {
      const u1 = 1 - uniformFloat64(rng); // (0, 1]: log stays finite
      const u2 = uniformFloat64(rng);
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < length) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
    return out;
  };
}

/** A random 32-bit seed for requests that give none. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
