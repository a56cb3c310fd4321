// Image-to-image in the engine: against the fixture script's PyTorch runs with diffusers' own
// schedulers (same picture, same encoder and added noise), how strength moves the result away
// from the picture, and the refusals.
import { strict as assert } from "node:assert";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { generate, loadModel, ModelError, RequestError, type RgbImage } from "../../backend/engine";
import { decodeLatents } from "../../backend/engine/pipelines/text-to-image";
import {
  fixtureModel,
  fixturesDir,
  openFixture,
  pixelDistance,
  relativeError,
  releaseFixtures,
  type ReferenceCase,
} from "../helpers/fixtures";

afterAll(releaseFixtures);

interface PictureCase extends ReferenceCase {
  strength: number;
  encoderOutput: "latent_parameters" | "latent_sample";
  initImage: number[];
  encoderNoise: number[] | null;
  imageNoise: number[];
}

const dir = join(fixturesDir, "reference", "img2img");
const cases: PictureCase[] = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(dir, f), "utf8")) }));

/** Hands out recorded arrays in order, checking each draw's length. */
function recorded(arrays: number[][], what: string) {
  const queue = [...arrays];
  return (length: number) => {
    const next = queue.shift();
    assert.ok(next, `the engine drew more ${what} than the reference recorded`);
    assert.equal(next.length, length);
    return Float32Array.from(next);
  };
}

describe("image-to-image matches the reference runs", () => {
  it("has reference runs of both encoder layouts", () => {
    expect([...new Set(cases.map((c) => c.encoderOutput))].sort()).toStrictEqual([
      "latent_parameters",
      "latent_sample",
    ]);
  });

  for (const ref of cases) {
    it(`${ref.file}: ${ref.model} ${ref.scheduler}, strength ${ref.strength} of ${ref.steps} steps (${ref.encoderOutput})`, async () => {
      const model = await openFixture(ref.model);
      assert.equal(model.vaeEncoder?.output, ref.encoderOutput);
      const timesteps: number[] = [];
      const image: RgbImage = {
        width: ref.width,
        height: ref.height,
        pixels: Uint8Array.from(ref.initImage),
      };
      const result = await generate(
        model,
        {
          prompt: ref.prompt,
          negativePrompt: ref.negativePrompt ?? undefined,
          steps: ref.steps,
          guidance: ref.guidance,
          scheduler: ref.scheduler,
          width: ref.width,
          height: ref.height,
          seed: 0,
          image,
          strength: ref.strength,
        },
        {
          imageNoise: recorded(
            [...(ref.encoderNoise ? [ref.encoderNoise] : []), ref.imageNoise],
            "picture noise"
          ),
          stepNoise: recorded(ref.stepNoise ?? [], "step noise"),
          onStep: ({ timestep }) => timesteps.push(timestep),
        }
      );
      expect(timesteps).toStrictEqual(ref.timesteps);
      const latentError = relativeError(result.latents, ref.finalLatents);
      assert.ok(
        latentError <= ref.tolerance,
        `final latents: relative error ${latentError} > ${ref.tolerance}`
      );
      const z = Float32Array.from(ref.finalLatents, (v) => v / model.vaeScalingFactor);
      const decoded = await decodeLatents(model, z, 1, ref.height / 8, ref.width / 8);
      const imageError = relativeError(decoded, ref.image);
      assert.ok(
        imageError <= ref.tolerance,
        `decoded image: relative error ${imageError} > ${ref.tolerance}`
      );
    });
  }
});

describe("strength", () => {
  it("keeps a lower strength measurably closer to the picture than a higher one", async () => {
    const model = await openFixture("sd15");
    const base = { prompt: "a photo of a cat", width: 64, height: 64, steps: 10, guidance: 7.5 };
    const [picture] = (await generate(model, { ...base, seed: 7 })).images;
    const distances: Record<string, number> = {};
    for (const strength of [0.2, 0.5, 0.9]) {
      const [out] = (
        await generate(model, {
          ...base,
          prompt: "a photo of a dog",
          seed: 11,
          image: picture,
          strength,
        })
      ).images;
      distances[strength] = pixelDistance(out, picture);
    }
    assert.ok(
      distances[0.2] < distances[0.5] && distances[0.5] < distances[0.9],
      `distances ${JSON.stringify(distances)}`
    );
  });

  it("runs the last int(steps × strength) steps and is reproducible from its seed", async () => {
    const model = await openFixture("sd21");
    const picture: RgbImage = {
      width: 48,
      height: 80,
      pixels: Uint8Array.from({ length: 48 * 80 * 3 }, (_, i) => (i * 7) % 256),
    };
    const run = async () => {
      const steps: number[] = [];
      const result = await generate(
        model,
        {
          prompt: "a lake",
          width: 64,
          height: 64,
          steps: 10,
          guidance: 1,
          seed: 5,
          image: picture,
          strength: 0.35,
        },
        { onStep: ({ step, steps: total }) => steps.push(step * 100 + total) }
      );
      return { steps, pixels: result.images[0].pixels };
    };
    const a = await run();
    const b = await run();
    // 3 of 10 steps, counted from 1
    expect(a.steps).toStrictEqual([103, 203, 303]);
    expect(a.pixels).toStrictEqual(b.pixels);
  });

  it("gives each image of a request its own seed's noise, as if generated alone", async () => {
    const model = await openFixture("sd15");
    const picture: RgbImage = {
      width: 64,
      height: 64,
      pixels: new Uint8Array(64 * 64 * 3).fill(128),
    };
    const request = {
      prompt: "a cat",
      width: 64,
      height: 64,
      steps: 4,
      guidance: 7.5,
      image: picture,
      strength: 0.75,
    };
    const both = await generate(model, { ...request, seed: 20, n: 2 });
    const second = await generate(model, { ...request, seed: 21 });
    expect(both.images[1].pixels).toStrictEqual(second.images[0].pixels);
    expect(both.images[0].pixels).not.toStrictEqual(both.images[1].pixels);
  });
});

describe("image-to-image refusals", () => {
  const picture: RgbImage = { width: 64, height: 64, pixels: new Uint8Array(64 * 64 * 3) };

  it("refuses a model without a vae_encoder, naming it", async () => {
    const model = await openFixture("sdxl");
    assert.equal(model.vaeEncoder, undefined);
    await assert.rejects(
      generate(model, { prompt: "a cat", seed: 1, width: 64, height: 64, image: picture }),
      (e: unknown) => {
        assert.ok(e instanceof RequestError);
        assert.match(e.message, /cannot start from a picture: it has no vae_encoder/);
        return true;
      }
    );
  });

  it("refuses a strength out of range, a strength without a picture, and a strength that runs no step", async () => {
    const model = await openFixture("sd15");
    const base = { prompt: "a cat", seed: 1, width: 64, height: 64 };
    for (const [request, message] of [
      [{ ...base, image: picture, strength: 0 }, /strength must be above 0 and at most 1/],
      [{ ...base, image: picture, strength: 1.5 }, /strength must be above 0 and at most 1/],
      [{ ...base, strength: 0.5 }, /strength needs a picture/],
      [
        { ...base, image: picture, strength: 0.2, steps: 4 },
        /steps × strength must be at least 1 \(4 × 0.2 runs no step\)/,
      ],
      [
        { ...base, image: { width: 2, height: 2, pixels: new Uint8Array(5) } },
        /image must be 8-bit RGB/,
      ],
    ] as const) {
      await assert.rejects(
        generate(model, request),
        (e: unknown) => e instanceof RequestError && message.test(e.message)
      );
    }
  });

  it("raises a few-step model's default steps so its default strength runs one", async () => {
    const model = await openFixture("sd21");
    let total = 0;
    await generate(
      model,
      { prompt: "a cat", seed: 1, width: 64, height: 64, guidance: 0, image: picture },
      { onStep: ({ steps }) => (total = steps) }
    );
    assert.equal(model.defaults.steps, 1);
    assert.equal(total, 1, "2 steps × 0.8 runs the last one");
  });

  it("refuses to load a vae_encoder that is not one, naming what it has", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "lumen-enc-"));
    try {
      cpSync(fixtureModel("sd15"), tmp, { recursive: true });
      cpSync(join(tmp, "vae_decoder", "model.onnx"), join(tmp, "vae_encoder", "model.onnx"));
      assert.ok(existsSync(join(tmp, "vae_encoder", "model.onnx")));
      await assert.rejects(loadModel(tmp, { device: "cpu", threads: 1 }), (e: unknown) => {
        assert.ok(e instanceof ModelError);
        assert.match(
          e.message,
          /^vae_encoder: unexpected inputs \[latent_sample\]; expected \[sample\]/
        );
        return true;
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
