// Bradley–Terry strengths from pairwise votes, by maximum likelihood, with bootstrap intervals.
//
// P(i beats j) = σ(θi − θj). A tie counts as half a win for each side (the expected score of i
// against j is still σ(θi − θj), so the estimate stays consistent when ties happen). Scores are
// shown as 1000 + 400·log10(odds): a contender 400 points above another is expected to win 10 to 1,
// the scale of Elo and of LMArena's leaderboard; the contenders' mean score is 1000.
//
// Written here rather than taken from a library: npm has no maintained Bradley–Terry or logistic
// regression package, and the fit is a few lines of Newton's method on a k×k system.
import { binomialSampler } from "./binomial";

/** One vote between contenders a and b (indices); scoreA = 1 a won, 0 b won, 0.5 a tie. */
export interface Comparison {
  a: number;
  b: number;
  scoreA: 0 | 0.5 | 1;
}

export const SCORE_CENTER = 1000;
/** Score points per natural-log unit of odds: 400 per factor of 10. */
export const SCORE_PER_NAT = 400 / Math.LN10;

/** A centred log-strength on the leaderboard's scale. */
export const toScore = (theta: number) => SCORE_CENTER + SCORE_PER_NAT * theta;

/**
 * Every pair of contenders also plays a fraction of a virtual tie, one virtual game per contender
 * in all. Without it an unbeaten (or never winning) contender has no finite maximum-likelihood
 * strength, and contenders that never met have no common scale; with it they get large finite
 * scores, and with tens of real votes the shift it causes is far smaller than the interval.
 * It depends only on differences of strengths, as the votes do, so centring loses nothing.
 */
export const VIRTUAL_GAMES_PER_CONTENDER = 1;

/** Points and games of every ordered pair, as k×k row-major arrays. */
interface Tally {
  k: number;
  /** points[i*k+j]: wins of i over j plus half their ties. */
  points: Float64Array;
  /** games[i*k+j] = games[j*k+i]: votes between i and j. */
  games: Float64Array;
}

function emptyTally(k: number): Tally {
  return { k, points: new Float64Array(k * k), games: new Float64Array(k * k) };
}

function add(t: Tally, c: Comparison, times = 1): void {
  const { k } = t;
  t.points[c.a * k + c.b] += c.scoreA * times;
  t.points[c.b * k + c.a] += (1 - c.scoreA) * times;
  t.games[c.a * k + c.b] += times;
  t.games[c.b * k + c.a] += times;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
/** log σ(x), without overflow for large |x|. */
const logSigmoid = (x: number) =>
  x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));

/** Weight of the virtual tie between each pair of k contenders. */
const virtualTie = (k: number) => (k > 1 ? VIRTUAL_GAMES_PER_CONTENDER / (k - 1) : 0);

function logLikelihood(t: Tally, theta: Float64Array): number {
  const { k, points } = t;
  const w = virtualTie(k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      if (j === i) continue;
      const p = points[i * k + j] + w / 2;
      sum += p * logSigmoid(theta[i] - theta[j]);
    }
  }
  return sum;
}

/** Solves A·x = b in place (A k×k row-major, positive definite here) by Gaussian elimination with partial pivoting. */
function solve(a: Float64Array, b: Float64Array, k: number): Float64Array {
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++)
      if (Math.abs(a[r * k + col]) > Math.abs(a[pivot * k + col])) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < k; c++)
        [a[col * k + c], a[pivot * k + c]] = [a[pivot * k + c], a[col * k + c]];
      [b[col], b[pivot]] = [b[pivot], b[col]];
    }
    const d = a[col * k + col];
    for (let r = col + 1; r < k; r++) {
      const f = a[r * k + col] / d;
      if (f === 0) continue;
      for (let c = col; c < k; c++) a[r * k + c] -= f * a[col * k + c];
      b[r] -= f * b[col];
    }
  }
  const x = new Float64Array(k);
  for (let r = k - 1; r >= 0; r--) {
    let s = b[r];
    for (let c = r + 1; c < k; c++) s -= a[r * k + c] * x[c];
    x[r] = s / a[r * k + r];
  }
  return x;
}

/**
 * Maximum-likelihood log-strengths (natural log, mean 0) of k contenders. Newton's method on the
 * log-likelihood, which the virtual ties make strictly concave across differences of strengths;
 * a step that would lower the likelihood is halved until it does not.
 */
function fitTally(t: Tally, start?: Float64Array): Float64Array {
  const { k, points, games } = t;
  const w = virtualTie(k);
  let theta = start ? Float64Array.from(start) : new Float64Array(k);
  if (k < 2) return theta;
  let current = logLikelihood(t, theta);
  for (let iter = 0; iter < 100; iter++) {
    const gradient = new Float64Array(k);
    // −Hessian + 11ᵀ: the likelihood is flat along 11ᵀ (adding a constant to every strength), so
    // the added term makes the system solvable and keeps each step's sum, and the strengths' mean, 0.
    const system = new Float64Array(k * k).fill(1);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        if (j === i) continue;
        const n = games[i * k + j] + w;
        const s = sigmoid(theta[i] - theta[j]);
        gradient[i] += points[i * k + j] + w / 2 - n * s;
        const h = n * s * (1 - s);
        system[i * k + i] += h;
        system[i * k + j] -= h;
      }
    }
    const step = solve(system, gradient, k);
    let scale = 1;
    let next = theta;
    let value = current;
    for (let halvings = 0; halvings < 30; halvings++, scale /= 2) {
      next = theta.map((v, i) => v + scale * step[i]);
      value = logLikelihood(t, next);
      if (value >= current - 1e-12) break;
    }
    const moved = Math.max(...next.map((v, i) => Math.abs(v - theta[i])));
    theta = next;
    current = value;
    if (moved < 1e-10) break;
  }
  const mean = theta.reduce((s, v) => s + v, 0) / k;
  return theta.map((v) => v - mean);
}

/** Log-strengths (natural log, mean 0) of k contenders from their votes. */
export function fitStrengths(k: number, comparisons: readonly Comparison[]): Float64Array {
  const t = emptyTally(k);
  for (const c of comparisons) add(t, c);
  return fitTally(t);
}

export interface Rating {
  /** Centred scores, 1000 + 400·log10(strength). */
  scores: number[];
  /** Percentile bootstrap interval of each score at `level`. */
  intervals: [number, number][];
}

export interface RatingOptions {
  /** Bootstrap resamples of the votes; 1000 by default. */
  replicates?: number;
  /** Seed of the resampling, so the same votes always give the same intervals. */
  seed?: number;
  /** Coverage of the intervals; 0.95 by default. */
  level?: number;
}

/** The q-quantile of sorted values, linearly interpolated between order statistics. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Scores and bootstrap intervals: the votes are resampled with replacement `replicates` times,
 * each resample is fitted, and the interval is the middle `level` of each contender's scores.
 */
export function rate(
  k: number,
  comparisons: readonly Comparison[],
  options: RatingOptions = {}
): Rating {
  const { replicates = 1000, seed = 0, level = 0.95 } = options;
  const full = fitStrengths(k, comparisons);
  const scores = Array.from(full, toScore);
  const n = comparisons.length;
  if (n === 0 || replicates < 1) return { scores, intervals: scores.map((s) => [s, s]) };

  // Votes that are alike (same pair, same outcome) are one cell: a resample of the n votes is a
  // multinomial draw of cell counts, made as one binomial per cell given the cells before it, so a
  // resample costs the number of cells (at most 3·k·(k−1)), not the number of votes.
  const cells = new Map<string, { comparison: Comparison; count: number }>();
  for (const c of comparisons) {
    const key = `${c.a},${c.b},${c.scoreA}`;
    const cell = cells.get(key);
    if (cell) cell.count++;
    else cells.set(key, { comparison: c, count: 1 });
  }
  const cellList = [...cells.values()];
  const draw = binomialSampler(seed);

  const samples = Array.from({ length: k }, () => new Float64Array(replicates));
  for (let r = 0; r < replicates; r++) {
    const t = emptyTally(k);
    let remaining = n;
    let weightLeft = n;
    for (const { comparison, count } of cellList) {
      if (remaining === 0) break;
      const drawn = count === weightLeft ? remaining : draw(remaining, count / weightLeft);
      weightLeft -= count;
      remaining -= drawn;
      if (drawn) add(t, comparison, drawn);
    }
    // Starting from the full data's strengths, a resample's fit takes a few Newton steps.
    const theta = fitTally(t, full);
    for (let i = 0; i < k; i++) samples[i][r] = toScore(theta[i]);
  }
  const tail = (1 - level) / 2;
  const intervals = samples.map((s): [number, number] => {
    s.sort();
    return [quantile(s, tail), quantile(s, 1 - tail)];
  });
  return { scores, intervals };
}
