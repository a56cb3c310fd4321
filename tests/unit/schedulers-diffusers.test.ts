// Every sampler against diffusers' own scheduler code (models/training/diffusers_oracle.py runs
// it; scheduler_cases.py records 84 cases: four samplers × epsilon / v × leading / trailing /
// linspace × 1, 4, 8 steps, and each with a zero-terminal-SNR schedule). Each step starts from the
// sample diffusers had there, with the same model output and noise, so a wrong step is found
// where it happens.
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "@jest/globals";
import { createScheduler, type SchedulerName } from "../../backend/engine/schedulers";
import type { SchedulerConfig } from "../../backend/engine/schedulers/types";
import { fixturesDir, relativeError } from "../helpers/fixtures";

interface StepRecord {
  modelOutput: number[];
  noise: number[] | null;
  scaledInput: number[];
  prevSample: number[];
}

interface Case {
  name: string;
  sampler: SchedulerName;
  config: Partial<SchedulerConfig>;
  steps: number;
  timesteps: number[];
  initNoiseSigma: number;
  initSample: number[];
  records: StepRecord[];
}

const oracle: { source: string; tolerance: number; cases: Case[] } = JSON.parse(
  readFileSync(join(fixturesDir, "schedulers", "diffusers_cases.json"), "utf8")
);
const within = (what: string, actual: ArrayLike<number>, expected: number[]) => {
  const error = relativeError(actual, expected);
  assert.ok(
    error <= oracle.tolerance,
    `${what}: relative error ${error.toExponential(2)} > ${oracle.tolerance}`
  );
};

describe(`samplers match ${oracle.source}`, () => {
  it("covers the 84 cases", () => {
    assert.equal(oracle.cases.length, 84);
    assert.equal(new Set(oracle.cases.map((c) => c.name)).size, 84);
  });

  for (const c of oracle.cases) {
    it(c.name, () => {
      const s = createScheduler(c.sampler, c.config);
      s.setTimesteps(c.steps);
      within("timesteps", s.timesteps, c.timesteps);
      within("initial noise sigma", [s.initNoiseSigma], [c.initNoiseSigma]);
      assert.equal(s.timesteps.length, c.records.length);
      c.records.forEach((r, i) => {
        const x = Float32Array.from(i === 0 ? c.initSample : c.records[i - 1].prevSample);
        within(`step ${i}: scaled input`, s.scaleModelInput(x, i), r.scaledInput);
        let draws = 0;
        const next = s.step(Float32Array.from(r.modelOutput), i, x, (length) => {
          draws++;
          assert.ok(r.noise, `step ${i}: drew noise where diffusers draws none`);
          assert.equal(length, r.noise.length);
          return Float32Array.from(r.noise);
        });
        assert.equal(draws, r.noise ? 1 : 0, `step ${i}: noise drawn ${draws} times`);
        within(`step ${i}: previous sample`, next, r.prevSample);
      });
    });
  }
});
