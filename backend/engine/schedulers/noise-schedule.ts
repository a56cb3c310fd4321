// The training noise schedule (betas → cumulative alphas) and inference timestep spacing,
// shared by every sampler. Formulas follow the DDPM / "Common Diffusion Noise Schedules and
// Sample Steps are Flawed" papers as diffusers configures them.
import type { SchedulerConfig } from "./types";

export const defaultSchedulerConfig: SchedulerConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  prediction_type: "epsilon",
  timestep_spacing: "leading",
  steps_offset: 1,
  set_alpha_to_one: false,
  rescale_betas_zero_snr: false,
  original_inference_steps: 50,
};

function linspace(start: number, end: number, n: number): number[] {
  if (n === 1) return [start];
  return Array.from({ length: n }, (_, i) => start + ((end - start) * i) / (n - 1));
}

export function betas(config: SchedulerConfig): number[] {
  const T = config.num_train_timesteps;
  if (config.trained_betas) return [...config.trained_betas];
  switch (config.beta_schedule) {
    case "linear":
      return linspace(config.beta_start, config.beta_end, T);
    case "scaled_linear":
      return linspace(Math.sqrt(config.beta_start), Math.sqrt(config.beta_end), T).map(
        (b) => b * b
      );
    case "squaredcos_cap_v2": {
      // Glide's cosine schedule: alpha_bar(t) = cos²((t + 0.008) / 1.008 · π/2), betas capped at 0.999.
      const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
      return Array.from({ length: T }, (_, i) =>
        Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), 0.999)
      );
    }
    default:
      throw new Error(`unknown beta_schedule "${(config as SchedulerConfig).beta_schedule}"`);
  }
}

/** Rescales betas so the last timestep has zero SNR (Lin et al. 2023, Algorithm 1). */
export function rescaleZeroTerminalSnr(b: number[]): number[] {
  let cum = 1;
  const sqrtAc = b.map((beta) => Math.sqrt((cum *= 1 - beta)));
  const first = sqrtAc[0];
  const last = sqrtAc[sqrtAc.length - 1];
  const scaled = sqrtAc.map((a) => ((a - last) * first) / (first - last));
  const ac = scaled.map((a) => a * a);
  return ac.map((a, i) => 1 - (i === 0 ? a : a / ac[i - 1]));
}

export function alphasCumprod(config: SchedulerConfig): number[] {
  let b = betas(config);
  if (config.rescale_betas_zero_snr) b = rescaleZeroTerminalSnr(b);
  let cum = 1;
  return b.map((beta) => (cum *= 1 - beta));
}

/** Rounds .5 to the even neighbour, as NumPy does, so schedules agree with Python exports. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Inference timesteps, highest first. Leading and trailing give integers; linspace may not. */
export function spacedTimesteps(config: SchedulerConfig, steps: number): number[] {
  const T = config.num_train_timesteps;
  if (!Number.isInteger(steps) || steps < 1 || steps > T) {
    throw new RangeError(`steps must be an integer from 1 to ${T}, got ${steps}`);
  }
  switch (config.timestep_spacing) {
    case "leading": {
      const ratio = Math.floor(T / steps);
      return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + config.steps_offset);
    }
    case "trailing": {
      const ratio = T / steps;
      return Array.from({ length: steps }, (_, i) => roundHalfEven(T - i * ratio) - 1);
    }
    case "linspace":
      return linspace(0, T - 1, steps).reverse();
    default:
      throw new Error(`unknown timestep_spacing "${(config as SchedulerConfig).timestep_spacing}"`);
  }
}

/** Linear interpolation of a per-train-timestep table at a (possibly fractional) timestep. */
export function interpolate(table: number[], t: number): number {
  const lo = Math.max(0, Math.min(table.length - 1, Math.floor(t)));
  const hi = Math.min(table.length - 1, lo + 1);
  return table[lo] + (table[hi] - table[lo]) * (t - lo);
}
