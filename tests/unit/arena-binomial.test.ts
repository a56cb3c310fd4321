// The bootstrap's binomial sampler against the binomial distribution itself.
import { strict as assert } from "node:assert";
import { describe, test } from "@jest/globals";
import { binomialSampler, logFactorial } from "../../backend/arena/binomial";

const pmf = (n: number, p: number, k: number) =>
  Math.exp(
    logFactorial(n) -
      logFactorial(k) -
      logFactorial(n - k) +
      k * Math.log(p) +
      (n - k) * Math.log(1 - p)
  );

describe("binomial sampler", () => {
  test("log-factorials match the exact sums", () => {
    let exact = 0;
    for (let k = 1; k <= 200; k++) {
      exact += Math.log(k);
      assert.ok(Math.abs(logFactorial(k) - exact) < 1e-9 * Math.max(1, exact), `k = ${k}`);
    }
  });

  test("draws have the binomial mean and variance, in both algorithms' ranges", () => {
    const draw = binomialSampler(3);
    for (const [n, p] of [
      [400, 0.05],
      [400, 0.3],
      [50, 0.1],
      [3, 0.9],
      [1000, 0.5],
      [100_000, 0.37],
      [12, 0.97],
    ]) {
      const draws = 100_000;
      let sum = 0;
      let squares = 0;
      for (let r = 0; r < draws; r++) {
        const x = draw(n, p);
        assert.ok(Number.isInteger(x) && x >= 0 && x <= n);
        sum += x;
        squares += x * x;
      }
      const mean = sum / draws;
      const variance = squares / draws - mean * mean;
      const v = n * p * (1 - p);
      assert.ok(Math.abs(mean - n * p) < 5 * Math.sqrt(v / draws), `n ${n}, p ${p}: mean ${mean}`);
      assert.ok(Math.abs(variance / v - 1) < 0.03, `n ${n}, p ${p}: variance ${variance} vs ${v}`);
    }
  });

  test("the whole distribution fits: chi-square against the exact probabilities", () => {
    const draw = binomialSampler(11);
    // np = 16 (rejection) and np = 3 (inversion).
    for (const [n, p] of [
      [40, 0.4],
      [30, 0.1],
    ]) {
      const draws = 200_000;
      const counts = new Array(n + 1).fill(0);
      for (let r = 0; r < draws; r++) counts[draw(n, p)]++;
      // Cells with an expected count under 5 are pooled into their neighbour.
      let chi2 = 0;
      let cells = 0;
      let observed = 0;
      let expected = 0;
      for (let k = 0; k <= n; k++) {
        observed += counts[k];
        expected += pmf(n, p, k) * draws;
        if (expected >= 5 || k === n) {
          chi2 += (observed - expected) ** 2 / expected;
          cells++;
          observed = 0;
          expected = 0;
        }
      }
      // 99.9th percentile of chi-square with (cells − 1) ≤ 30 degrees of freedom is under 60.
      assert.ok(chi2 < 60, `n ${n}, p ${p}: chi-square ${chi2.toFixed(1)} over ${cells} cells`);
    }
  });

  test("p of 0 or 1 and n of 0 give the certain answer", () => {
    const draw = binomialSampler(1);
    assert.equal(draw(0, 0.5), 0);
    assert.equal(draw(10, 0), 0);
    assert.equal(draw(10, 1), 10);
  });
});
