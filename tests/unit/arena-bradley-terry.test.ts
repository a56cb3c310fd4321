// Bradley–Terry ratings against simulated voters whose true strengths are known.
import { strict as assert } from "node:assert";
import { describe, expect, test } from "@jest/globals";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import {
  fitStrengths,
  rate,
  SCORE_PER_NAT,
  toScore,
  VIRTUAL_GAMES_PER_CONTENDER,
  type Comparison,
} from "../../backend/arena/bradley-terry";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * Voters who prefer i to j with probability σ(θi − θj) in expectation: a share `tieRate` of votes
 * are ties, and the rest are split so that wins + ties/2 still average σ(θi − θj).
 */
function simulateVotes(
  trueScores: number[],
  votes: number,
  seed: number,
  tieRate = 0.1
): Comparison[] {
  const rng = xoroshiro128plus(seed);
  const theta = trueScores.map((s) => (s - 1000) / SCORE_PER_NAT);
  const k = theta.length;
  const out: Comparison[] = [];
  for (let v = 0; v < votes; v++) {
    const a = Math.floor(uniformFloat64(rng) * k);
    let b = Math.floor(uniformFloat64(rng) * (k - 1));
    if (b >= a) b++;
    const p = sigmoid(theta[a] - theta[b]);
    const u = uniformFloat64(rng);
    const win = (p - tieRate / 2) / (1 - tieRate);
    out.push({ a, b, scoreA: u < tieRate ? 0.5 : uniformFloat64(rng) < win ? 1 : 0 });
  }
  return out;
}

describe("Bradley–Terry", () => {
  test("recovers the order and the scores of simulated voters' ground truth", () => {
    const truth = [1180, 1090, 1000, 930, 800];
    for (const seed of [1, 2, 3]) {
      const { scores } = rate(truth.length, simulateVotes(truth, 3000, seed), { replicates: 0 });
      const order = scores.map((_, i) => i).sort((x, y) => scores[y] - scores[x]);
      expect({ message: `seed ${seed}: ${scores.map(Math.round)}`, actual: order }).toStrictEqual({
        message: `seed ${seed}: ${scores.map(Math.round)}`,
        actual: [0, 1, 2, 3, 4],
      });
      for (const [i, s] of scores.entries())
        assert.ok(Math.abs(s - truth[i]) < 35, `seed ${seed}, contender ${i}: ${s} vs ${truth[i]}`);
      assert.ok(
        Math.abs(scores.reduce((x, y) => x + y, 0) / scores.length - 1000) < 1e-9,
        "scores are centred on 1000"
      );
    }
  });

  test("the estimate solves the likelihood equations: each side's points equal its expected points", () => {
    const votes = simulateVotes([1100, 1000, 900], 400, 7);
    const theta = fitStrengths(3, votes);
    for (let i = 0; i < 3; i++) {
      let observed = 0;
      let expected = 0;
      for (const v of votes) {
        if (v.a !== i && v.b !== i) continue;
        const [me, other, points] = v.a === i ? [v.a, v.b, v.scoreA] : [v.b, v.a, 1 - v.scoreA];
        observed += points;
        expected += sigmoid(theta[me] - theta[other]);
      }
      // The virtual ties (VIRTUAL_GAMES_PER_CONTENDER, shared among the other two) count on both sides.
      for (const j of [0, 1, 2].filter((j) => j !== i)) {
        observed += (VIRTUAL_GAMES_PER_CONTENDER / 2) * 0.5;
        expected += (VIRTUAL_GAMES_PER_CONTENDER / 2) * sigmoid(theta[i] - theta[j]);
      }
      assert.ok(Math.abs(observed - expected) < 1e-8, `contender ${i}: ${observed} vs ${expected}`);
    }
  });

  test("two contenders: the score gap is 400·log10 of the win ratio, ties count half", () => {
    const votes: Comparison[] = [
      ...Array.from({ length: 300 }, (): Comparison => ({ a: 0, b: 1, scoreA: 1 })),
      ...Array.from({ length: 100 }, (): Comparison => ({ a: 1, b: 0, scoreA: 1 })),
      ...Array.from({ length: 200 }, (): Comparison => ({ a: 0, b: 1, scoreA: 0.5 })),
    ];
    const theta = fitStrengths(2, votes);
    const gap = toScore(theta[0]) - toScore(theta[1]);
    // 400 wins (300 + 100 half) against 200 (100 + 100 half): odds 2.
    assert.ok(Math.abs(gap - 400 * Math.log10(2)) < 2, `gap ${gap}`);
    const tiesOnly = fitStrengths(2, [
      { a: 0, b: 1, scoreA: 0.5 },
      { a: 1, b: 0, scoreA: 0.5 },
    ]);
    assert.ok(Math.abs(tiesOnly[0] - tiesOnly[1]) < 1e-12);
  });

  test("an unbeaten contender gets a finite score above the others", () => {
    const votes: Comparison[] = Array.from({ length: 20 }, (_, i): Comparison => ({
      a: 0,
      b: 1 + (i % 2),
      scoreA: 1,
    }));
    votes.push({ a: 1, b: 2, scoreA: 1 }, { a: 2, b: 1, scoreA: 1 });
    const { scores, intervals } = rate(3, votes, { replicates: 100 });
    assert.ok(scores.every(Number.isFinite));
    assert.ok(scores[0] > scores[1] + 300 && scores[0] > scores[2] + 300, String(scores));
    assert.ok(
      intervals.every(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)
    );
  });

  test("no votes: every contender sits at 1000", () => {
    const { scores, intervals } = rate(3, []);
    expect(scores).toStrictEqual([1000, 1000, 1000]);
    expect(intervals).toStrictEqual([
      [1000, 1000],
      [1000, 1000],
      [1000, 1000],
    ]);
  });

  test("the same votes and seed give the same intervals; another seed gives others", () => {
    const votes = simulateVotes([1100, 1000, 900], 300, 11);
    const one = rate(3, votes, { replicates: 200, seed: 5 });
    expect(rate(3, votes, { replicates: 200, seed: 5 })).toStrictEqual(one);
    expect(rate(3, votes, { replicates: 200, seed: 6 }).intervals).not.toStrictEqual(one.intervals);
  });

  test("95% bootstrap intervals cover the true scores at about their nominal rate", () => {
    const truth = [1150, 1060, 1000, 950, 840];
    const simulations = 200;
    let covered = 0;
    let total = 0;
    let width = 0;
    for (let sim = 0; sim < simulations; sim++) {
      const { intervals } = rate(truth.length, simulateVotes(truth, 400, 1000 + sim), {
        replicates: 300,
        seed: sim,
      });
      for (const [i, [lo, hi]] of intervals.entries()) {
        total++;
        width += hi - lo;
        if (lo <= truth[i] && truth[i] <= hi) covered++;
      }
    }
    const coverage = covered / total;
    // 1000 intervals: the binomial standard error at 95% is 0.7 points; ±3 points is about 4σ.
    assert.ok(coverage > 0.92 && coverage < 0.98, `coverage ${coverage}`);
    // And they are not trivially wide: 400 votes pin a score to tens of points, not hundreds.
    assert.ok(width / total < 200, `mean width ${width / total}`);
  });

  test("50% intervals cover at about 50%: the rate follows the level", () => {
    const truth = [1100, 1000, 900];
    let covered = 0;
    let total = 0;
    for (let sim = 0; sim < 150; sim++) {
      const { intervals } = rate(truth.length, simulateVotes(truth, 300, 5000 + sim), {
        replicates: 300,
        seed: sim,
        level: 0.5,
      });
      for (const [i, [lo, hi]] of intervals.entries()) {
        total++;
        if (lo <= truth[i] && truth[i] <= hi) covered++;
      }
    }
    const coverage = covered / total;
    assert.ok(coverage > 0.42 && coverage < 0.58, `coverage ${coverage}`);
  });
});
