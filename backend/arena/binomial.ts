// Binomial random variates for the bootstrap's multinomial resampling: inversion (BINV) when
// n·min(p, 1−p) < 10, else Hörmann's transformed rejection with squeeze (BTRS, 1993), the
// sampler of PyTorch, TensorFlow and JAX. Written here because the npm binomial sampler we tried
// (@stdlib/random-base-binomial 0.2.2) draws with a biased mean (≈ 20.5 for n = 400, p = 0.05).
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";

const LOG_FACTORIAL = Array.from({ length: 10 }, (_, k) =>
  Array.from({ length: k }, (_, i) => Math.log(i + 1)).reduce((s, v) => s + v, 0)
);
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log(k!): a table below 10, Stirling's series (error < 1e-10) above. */
export function logFactorial(k: number): number {
  if (k < 10) return LOG_FACTORIAL[k];
  const x = k + 1;
  const x2 = x * x;
  return (k + 0.5) * Math.log(x) - x + HALF_LOG_2PI + (1 / 12 - (1 / 360 - 1 / 1260 / x2) / x2) / x;
}

export type Binomial = (n: number, p: number) => number;

/** A seeded sampler of Binomial(n, p); n a non-negative integer, p in [0, 1]. */
export function binomialSampler(seed: number): Binomial {
  const rng = xoroshiro128plus(seed | 0);
  const uniform = () => uniformFloat64(rng);

  function inversion(n: number, p: number): number {
    const q = 1 - p;
    const s = p / q;
    const a = (n + 1) * s;
    for (;;) {
      let r = q ** n;
      let u = uniform();
      let x = 0;
      while (u > r) {
        u -= r;
        x++;
        if (x > n) break;
        r *= a / x - s;
      }
      if (x <= n) return x;
    }
  }

  function rejection(n: number, p: number): number {
    const q = 1 - p;
    const spq = Math.sqrt(n * p * q);
    const b = 1.15 + 2.53 * spq;
    const a = -0.0873 + 0.0248 * b + 0.01 * p;
    const c = n * p + 0.5;
    const vr = 0.92 - 4.2 / b;
    const alpha = (2.83 + 5.1 / b) * spq;
    const lpq = Math.log(p / q);
    const m = Math.floor((n + 1) * p);
    const h = logFactorial(m) + logFactorial(n - m);
    for (;;) {
      const u = uniform() - 0.5;
      const v = uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + c);
      if (k < 0 || k > n) continue;
      if (us >= 0.07 && v <= vr) return k;
      if (
        Math.log((v * alpha) / (a / (us * us) + b)) <=
        h - logFactorial(k) - logFactorial(n - k) + (k - m) * lpq
      )
        return k;
    }
  }

  const sample: Binomial = (n, p) => {
    if (n === 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - sample(n, 1 - p);
    return n * p < 10 ? inversion(n, p) : rejection(n, p);
  };
  return sample;
}
