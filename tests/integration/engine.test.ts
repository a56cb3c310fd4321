import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import type * as ort from "onnxruntime-node";
import {
  CancelledError,
  encodeImage,
  generate,
  generateBatch,
  loadModel,
  ModelError,
  RequestError,
} from "../../backend/engine";
import { currentHost, planProviders } from "../../backend/engine/providers";
import { fixtureModel, openFixture, releaseFixtures } from "../helpers/fixtures";

afterAll(releaseFixtures);

const request = { prompt: "a lake at dawn", width: 64, height: 64, steps: 3, seed: 1 };

/** Records the batch size of every UNet call. */
function spyUnet(model: { unet: ort.InferenceSession }): { batches: number[]; restore(): void } {
  const original = model.unet.run.bind(model.unet);
  const batches: number[] = [];
  (model.unet as any).run = (feeds: Record<string, ort.Tensor>, ...rest: unknown[]) => {
    batches.push(feeds.sample.dims[0]);
    return (original as any)(feeds, ...rest);
  };
  return { batches, restore: () => void ((model.unet as any).run = original) };
}

describe("pipeline", () => {
  it("gives byte-identical PNGs for the same seed and different ones for another seed", async () => {
    const model = await openFixture("sd15");
    const png = async (seed: number) =>
      encodeImage((await generate(model, { ...request, seed })).images[0]);
    const a = await png(1);
    const b = await png(1);
    const c = await png(2);
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
    assert.equal(a.subarray(1, 4).toString(), "PNG");
  });

  it("runs one UNet pass per step without guidance and a doubled batch with it", async () => {
    const model = await openFixture("sd21");
    const spy = spyUnet(model);
    try {
      await generate(model, { ...request, guidance: 1, n: 2 });
      expect(spy.batches).toStrictEqual([2, 2, 2]);
      spy.batches.length = 0;
      await generate(model, { ...request, guidance: 7, n: 2, negativePrompt: "fog" });
      expect(spy.batches).toStrictEqual([4, 4, 4]);
    } finally {
      spy.restore();
    }
  });

  it("guides only the steps from guidanceStart on, and those steps alone differ from an unguided run", async () => {
    const model = await openFixture("sd21");
    const spy = spyUnet(model);
    const previews = async (req: typeof request & { guidance: number; guidanceStart?: number }) => {
      const seen: number[][] = [];
      await generate(
        model,
        { ...req, steps: 4, n: 2 },
        { onStep: (s) => seen.push(Array.from(s.preview()[0].pixels)) }
      );
      return seen;
    };
    try {
      const unguided = await previews({ ...request, guidance: 1 });
      spy.batches.length = 0;
      const late = await previews({ ...request, guidance: 7, guidanceStart: 0.5 });
      expect(spy.batches).toStrictEqual([2, 2, 4, 4]);
      expect(late.slice(0, 2)).toStrictEqual(unguided.slice(0, 2));
      expect(late[2]).not.toStrictEqual(unguided[2]);
    } finally {
      spy.restore();
    }
  });

  it("makes image k of a batch the same as seed + k alone", async () => {
    const model = await openFixture("sd15");
    const batch = await generate(model, { ...request, n: 2, seed: 10 });
    const alone = await generate(model, { ...request, n: 1, seed: 11 });
    expect(batch.seeds).toStrictEqual([10, 11]);
    const second = batch.latents.subarray(batch.latents.length / 2);
    const maxDiff = second.reduce((m, v, i) => Math.max(m, Math.abs(v - alone.latents[i])), 0);
    assert.ok(maxDiff < 1e-4, `max difference ${maxDiff}`);
  });

  it("batches different prompts into one UNet call with the same results as alone", async () => {
    const model = await openFixture("sd15");
    const a = { ...request, prompt: "a lake", seed: 3, n: 1, guidance: 7, negativePrompt: "fog" };
    const b = { ...request, prompt: "a desert at noon", seed: 8, n: 2, guidance: 7 };
    const spy = spyUnet(model);
    let batched;
    try {
      batched = await generateBatch(model, [{ request: a }, { request: b }]);
      expect(spy.batches).toStrictEqual([6, 6, 6]);
    } finally {
      spy.restore();
    }
    for (const [req, got] of [
      [a, batched[0]],
      [b, batched[1]],
    ] as const) {
      const alone = await generate(model, req);
      assert.equal(got.images.length, req.n);
      const maxDiff = got.latents.reduce(
        (m, v, i) => Math.max(m, Math.abs(v - alone.latents[i])),
        0
      );
      assert.ok(maxDiff < 1e-4, `max difference ${maxDiff}`);
    }
  });

  it("refuses to batch requests of different sizes", async () => {
    const model = await openFixture("sd15");
    await assert.rejects(
      generateBatch(model, [{ request }, { request: { ...request, width: 128 } }]),
      /must share size/
    );
  });

  it("keeps running a batch when one request is cancelled, and drops that one", async () => {
    const model = await openFixture("sd15");
    const controller = new AbortController();
    controller.abort();
    const [cancelled, kept] = await generateBatch(model, [
      { request, signal: controller.signal },
      { request },
    ]);
    assert.equal(cancelled.cancelled, true);
    assert.equal(cancelled.images.length, 0);
    assert.equal(kept.images.length, 1);
  });

  it("reports every step with a latent-sized preview per image", async () => {
    const model = await openFixture("sd15");
    const seen: Array<[number, number, number]> = [];
    await generate(
      model,
      { ...request, n: 2 },
      {
        onStep: ({ step, steps, preview }) => {
          const images = preview();
          assert.equal(images.length, 2);
          assert.equal(images[0].pixels.length, 8 * 8 * 3);
          seen.push([step, steps, images[0].width]);
        },
      }
    );
    expect(seen).toStrictEqual([
      [1, 3, 8],
      [2, 3, 8],
      [3, 3, 8],
    ]);
  });

  it("stops between steps when cancelled", async () => {
    const model = await openFixture("sd15");
    const controller = new AbortController();
    let steps = 0;
    await assert.rejects(
      generate(model, request, {
        signal: controller.signal,
        onStep: () => (steps++, controller.abort()),
      }),
      CancelledError
    );
    assert.equal(steps, 1);
  });

  it("rejects sizes that are not multiples of 8 (64 for SDXL), naming the field", async () => {
    const sd = await openFixture("sd15");
    await assert.rejects(
      generate(sd, { ...request, width: 100 }),
      (e: Error) => e instanceof RequestError && /width must be a multiple of 8/.test(e.message)
    );
    const xl = await openFixture("sdxl");
    await assert.rejects(
      generate(xl, { ...request, height: 72 }),
      /height must be a multiple of 64/
    );
  });

  it("rejects bad steps, guidance, guidanceStart and n", async () => {
    const model = await openFixture("sd15");
    await assert.rejects(generate(model, { ...request, steps: 0 }), /steps must be/);
    await assert.rejects(generate(model, { ...request, guidance: -1 }), /guidance must be/);
    await assert.rejects(
      generate(model, { ...request, guidanceStart: 1 }),
      /guidanceStart must be from 0 to below 1, got 1/
    );
    await assert.rejects(generate(model, { ...request, n: 0 }), /n must be/);
  });

  it("runs an fp16 SDXL export with both text encoders", async () => {
    const model = await openFixture("sdxl");
    assert.equal(model.family.name, "sdxl");
    assert.equal(model.floatType, "float16");
    assert.equal(model.encoders.length, 2);
    const result = await generate(model, { ...request, guidance: 5 });
    assert.equal(result.images[0].width, 64);
    assert.ok(result.latents.every(Number.isFinite));
  });
});

describe("model defaults", () => {
  const copies: string[] = [];
  afterAll(() => copies.forEach((d) => rmSync(d, { recursive: true, force: true })));
  /** sd15 under a folder named like a Turbo export, with scheduler config changes. */
  const turboNamed = (scheduler: Record<string, unknown>) => {
    const root = mkdtempSync(join(tmpdir(), "lumen-defaults-"));
    copies.push(root);
    const dir = join(root, "sd-turbo");
    cpSync(fixtureModel("sd15"), dir, { recursive: true });
    const path = join(dir, "scheduler", "scheduler_config.json");
    writeFileSync(
      path,
      JSON.stringify({ ...JSON.parse(readFileSync(path, "utf8")), ...scheduler })
    );
    return dir;
  };
  const defaultsOf = async (dir: string) => {
    const model = await loadModel(dir, { device: "cpu" });
    await model.release();
    return model.defaults;
  };

  it("takes few-step settings from a trailing scheduler config, not from the folder's name", async () => {
    const plain = await defaultsOf(turboNamed({}));
    expect([plain.steps, plain.guidance, plain.scheduler]).toStrictEqual([25, 7.5, "euler"]);
    const turbo = await defaultsOf(
      turboNamed({ _class_name: "EulerAncestralDiscreteScheduler", timestep_spacing: "trailing" })
    );
    expect([turbo.steps, turbo.guidance, turbo.scheduler, turbo.width]).toStrictEqual([
      1,
      0,
      "euler_a",
      512,
    ]);
    const zeroSnr = await defaultsOf(
      turboNamed({ timestep_spacing: "trailing", rescale_betas_zero_snr: true })
    );
    expect([zeroSnr.steps, zeroSnr.guidance]).toStrictEqual([25, 7.5]);
  });

  it("lets lumen.json override the family's defaults", async () => {
    const dir = turboNamed({ timestep_spacing: "trailing" });
    writeFileSync(
      join(dir, "lumen.json"),
      JSON.stringify({ defaults: { steps: 4, guidance: 1.5 } })
    );
    const d = await defaultsOf(dir);
    expect([d.steps, d.guidance]).toStrictEqual([4, 1.5]);
  });

  it("takes the autoencoder's pixels per latent pixel from lumen.json (×8 unless it says)", async () => {
    const scaleOf = async (dir: string) => {
      const model = await loadModel(dir, { device: "cpu" });
      await model.release();
      return model.vaeScale;
    };
    const dir = turboNamed({});
    expect(await scaleOf(dir)).toBe(8);
    writeFileSync(join(dir, "lumen.json"), JSON.stringify({ vaeScale: 16 }));
    expect(await scaleOf(dir)).toBe(16);
  });
});

describe("model loading errors", () => {
  const copies: string[] = [];
  afterAll(() => copies.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const copyFixture = () => {
    const dir = mkdtempSync(join(tmpdir(), "lumen-model-"));
    copies.push(dir);
    cpSync(fixtureModel("sd15"), dir, { recursive: true });
    return dir;
  };
  const expectError = (dir: string, pattern: RegExp) =>
    assert.rejects(
      loadModel(dir, { device: "cpu" }),
      (e: Error) => e instanceof ModelError && pattern.test(e.message)
    );

  it("names a missing folder", async () =>
    expectError("/nonexistent/model", /model folder .* does not exist/));

  it("names a missing component", async () => {
    const dir = copyFixture();
    rmSync(join(dir, "vae_decoder", "model.onnx"));
    await expectError(dir, /^vae_decoder: .*model\.onnx is missing/);
  });

  it("names a corrupt component", async () => {
    const dir = copyFixture();
    writeFileSync(join(dir, "text_encoder", "model.onnx"), "not an onnx file");
    await expectError(dir, /^text_encoder: cannot load/);
  });

  it("names a component with unexpected inputs", async () => {
    const dir = copyFixture();
    cpSync(join(dir, "vae_decoder", "model.onnx"), join(dir, "unet", "model.onnx"));
    await expectError(dir, /^unet: unexpected inputs \[latent_sample\]/);
  });

  it("refuses a pipeline class no family runs, before opening any session", async () => {
    const dir = copyFixture();
    writeFileSync(
      join(dir, "model_index.json"),
      JSON.stringify({ _class_name: "StableDiffusion3Pipeline" })
    );
    rmSync(join(dir, "unet", "model.onnx"));
    await expectError(
      dir,
      /^model_index\.json: _class_name "StableDiffusion3Pipeline" is not a pipeline Lumen runs/
    );
  });

  it("names a missing tokenizer", async () => {
    const dir = copyFixture();
    rmSync(join(dir, "tokenizer"), { recursive: true });
    await expectError(dir, /^tokenizer: /);
  });

  it("falls back through this platform's GPU providers to the CPU with device auto, saying why each one it tried failed", async () => {
    const log: string[] = [];
    const model = await loadModel(fixtureModel("sd15"), {
      device: "auto",
      log: (m) => log.push(m),
    });
    try {
      const skipped = log.map((m) => /skipped (\w+)/.exec(m)?.[1]);
      // Providers this host plainly cannot run are passed over (quietly where that is normal);
      // the others are tried in order, and auto stops at the first that works.
      const plan = planProviders("auto", currentHost());
      const told = plan.passed.filter((p) => !p.quiet).map((p) => p.provider);
      const tried = plan.candidates.slice(0, plan.candidates.indexOf(model.provider));
      assert.ok(plan.candidates.includes(model.provider));
      expect(skipped).toStrictEqual([...told, ...tried]);
    } finally {
      await model.release();
    }
  });

  it("refuses an execution provider that is not installed, and says how to install it", async () => {
    await assert.rejects(
      loadModel(fixtureModel("sd15"), { device: "cuda" }),
      /cuda execution provider unavailable/
    );
  });
});
