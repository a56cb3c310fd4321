// Each expected number below was computed by hand (a calculator session) from the papers'
// formulas for a toy schedule: T = 10 train steps, constant beta 0.1, so ᾱ_t = 0.9^(t+1).
import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import { createScheduler } from "../../backend/engine/schedulers";
import { alphasCumprod, spacedTimesteps } from "../../backend/engine/schedulers/noise-schedule";
import type { SchedulerConfig } from "../../backend/engine/schedulers/types";
import { defaultSchedulerConfig } from "../../backend/engine/schedulers/noise-schedule";

const toy = (overrides: Partial<SchedulerConfig> = {}): SchedulerConfig => ({
  ...defaultSchedulerConfig,
  num_train_timesteps: 10,
  beta_start: 0.1,
  beta_end: 0.1,
  beta_schedule: "linear",
  steps_offset: 0,
  timestep_spacing: "trailing",
  original_inference_steps: 5,
  ...overrides,
});

const one = (v: number) => Float32Array.of(v);
const close = (actual: number, expected: number, tol = 1e-6) =>
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${actual} ≉ ${expected}`
  );
const noNoise = () => {
  throw new Error("this sampler must not draw noise");
};

describe("noise schedule", () => {
  it("scaled_linear betas run from beta_start to beta_end (SD's schedule)", () => {
    const ac = alphasCumprod(defaultSchedulerConfig);
    close(ac[0], 0.99915);
    close(ac[999], 0.004660098513077238);
  });

  it("spaces timesteps leading, trailing and linspace", () => {
    const sd = { ...defaultSchedulerConfig };
    expect(spacedTimesteps({ ...sd, timestep_spacing: "leading" }, 4)).toStrictEqual([
      751, 501, 251, 1,
    ]);
    expect(spacedTimesteps({ ...sd, timestep_spacing: "trailing" }, 4)).toStrictEqual([
      999, 749, 499, 249,
    ]);
    expect(spacedTimesteps({ ...sd, timestep_spacing: "linspace" }, 4)).toStrictEqual([
      999, 666, 333, 0,
    ]);
  });

  it("rounds trailing half-steps to even, as NumPy does", () => {
    // 1000 − 3·62.5 = 812.5 → 812 → 811
    assert.equal(
      spacedTimesteps({ ...defaultSchedulerConfig, timestep_spacing: "trailing" }, 16)[3],
      811
    );
  });

  it("rescales to zero terminal SNR keeping the first alpha", () => {
    const ac = alphasCumprod(toy({ rescale_betas_zero_snr: true }));
    close(ac[0], 0.9);
    close(ac[5], 0.13457669437742217);
    close(ac[9], 0);
  });

  it("rejects a step count outside 1..T", () => {
    assert.throws(() => spacedTimesteps(toy(), 0), /steps must be an integer/);
    assert.throws(() => spacedTimesteps(toy(), 11), /steps must be an integer/);
  });
});

describe("Euler", () => {
  it("uses sigma_max (trailing) or sqrt(sigma_max²+1) (leading) as initial noise", () => {
    const trailing = createScheduler("euler", toy());
    trailing.setTimesteps(2);
    expect(trailing.timesteps).toStrictEqual([9, 4]);
    close(trailing.initNoiseSigma, 1.3667377183616616);
    const leading = createScheduler("euler", toy({ timestep_spacing: "leading", steps_offset: 1 }));
    leading.setTimesteps(2);
    expect(leading.timesteps).toStrictEqual([6, 1]);
    const sigma6 = Math.sqrt((1 - 0.9 ** 7) / 0.9 ** 7);
    close(leading.initNoiseSigma, Math.sqrt(sigma6 ** 2 + 1));
  });

  it("scales the model input to unit variance", () => {
    const s = createScheduler("euler", toy());
    s.setTimesteps(2);
    close(s.scaleModelInput(one(2), 0)[0], 1.18098);
  });

  it("steps with epsilon prediction", () => {
    const s = createScheduler("euler", toy());
    s.setTimesteps(2);
    close(s.step(one(0.5), 0, one(1), noNoise)[0], 0.7330170137912924);
  });

  it("steps with v prediction", () => {
    const s = createScheduler("euler", toy({ prediction_type: "v_prediction" }));
    s.setTimesteps(2);
    close(s.step(one(0.5), 0, one(1), noNoise)[0], 0.5878866773806574);
  });

  it("returns the clean estimate at the last step (sigma_next = 0)", () => {
    const s = createScheduler("euler", toy());
    s.setTimesteps(2);
    const sigma4 = 0.8327717459442464;
    close(s.step(one(0.5), 1, one(1), noNoise)[0], 1 - sigma4 * 0.5);
  });
});

describe("Euler ancestral", () => {
  it("steps to sigma_down and adds sigma_up of fresh noise", () => {
    const s = createScheduler("euler_a", toy());
    s.setTimesteps(2);
    close(s.step(one(0.5), 0, one(1), () => one(1))[0], 1.230669888060738);
  });

  it("draws one noise vector per step", () => {
    const s = createScheduler("euler_a", toy());
    s.setTimesteps(2);
    let draws = 0;
    s.step(one(0.5), 0, one(1), (n) => (draws++, new Float32Array(n)));
    assert.equal(draws, 1);
  });
});

describe("DDIM", () => {
  it("steps to t − T // n for every spacing, as diffusers does", () => {
    // linspace, 4 steps: timesteps 9, 6, 3, 0 (rounded); from 9 DDIM goes to 9 − 10 // 4 = 7, not 6.
    const s = createScheduler("ddim", toy({ timestep_spacing: "linspace" }));
    s.setTimesteps(4);
    expect(s.timesteps).toStrictEqual([9, 6, 3, 0]);
    const a = (t: number) => 0.9 ** (t + 1);
    const x0 = (1 - Math.sqrt(1 - a(9)) * 0.5) / Math.sqrt(a(9));
    close(
      s.step(one(0.5), 0, one(1), noNoise)[0],
      Math.sqrt(a(7)) * x0 + Math.sqrt(1 - a(7)) * 0.5
    );
  });

  it("steps with epsilon prediction to the next timestep", () => {
    const s = createScheduler("ddim", toy());
    s.setTimesteps(2);
    assert.equal(s.initNoiseSigma, 1);
    close(s.step(one(0.5), 0, one(1), noNoise)[0], 1.096190168442332);
  });

  it("ends at alpha_0 with v prediction when set_alpha_to_one is false", () => {
    const s = createScheduler("ddim", toy({ prediction_type: "v_prediction" }));
    s.setTimesteps(2);
    close(s.step(one(0.5), 1, one(1), noNoise)[0], 0.7493182328677741);
  });
});

describe("LCM", () => {
  it("takes floor(linspace(0, 50, n, endpoint=False)) of the 50-step distillation schedule, as diffusers does", () => {
    const sd = createScheduler("lcm", { ...defaultSchedulerConfig });
    sd.setTimesteps(4);
    expect(sd.timesteps).toStrictEqual([999, 759, 499, 259]); // indices 0, 12, 25, 37
    sd.setTimesteps(8);
    expect(sd.timesteps).toStrictEqual([999, 879, 759, 639, 499, 379, 259, 139]);
    const s = createScheduler("lcm", toy());
    s.setTimesteps(2);
    expect(s.timesteps).toStrictEqual([9, 5]);
  });

  it("applies the boundary condition and re-noises between steps", () => {
    const s = createScheduler("lcm", toy());
    s.setTimesteps(2);
    close(s.step(one(0.5), 0, one(1), () => one(1))[0], 1.4209168343777918);
  });

  it("returns the denoised sample without noise at the last step", () => {
    const s = createScheduler("lcm", toy());
    s.setTimesteps(2);
    close(s.step(one(0.5), 1, one(1), noNoise)[0], 0.9023088614865424);
  });
});
