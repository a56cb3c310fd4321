import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { generate, loadModel, ModelError, Timings } from "../../backend/engine";
import { toRgb } from "../../backend/engine/families/vae";
import { decodeLatents } from "../../backend/engine/pipelines/text-to-image";
import { loadConfig } from "../../backend/config";
import { fixtureModel, fixturesDir, relativeError } from "../helpers/fixtures";

interface TinyReference {
  latentShape: number[];
  latents: number[];
  imageShape: number[];
  image: number[];
  tolerance: number;
}

const reference: TinyReference = JSON.parse(
  readFileSync(join(fixturesDir, "taesd", "taesd_decode.json"), "utf8")
);

/** The sd21 fixture (float32) with the float16 tiny decoder fixture dropped in as taesd_decoder/. */
function folderWithTinyDecoder(): string {
  const dir = mkdtempSync(join(tmpdir(), "lumen-taesd-"));
  cpSync(fixtureModel("sd21"), dir, { recursive: true });
  cpSync(join(fixturesDir, "taesd", "taesd_decoder"), join(dir, "taesd_decoder"), {
    recursive: true,
  });
  return dir;
}

describe("tiny decoder (taesd_decoder/)", () => {
  let dir: string;
  beforeAll(() => {
    dir = folderWithTinyDecoder();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is used when the folder carries one: latents as they are, its own float16 input, −1..1 out", async () => {
    const model = await loadModel(dir, { device: "cpu", threads: 1 });
    try {
      assert.equal(model.decoder, "taesd_decoder");
      assert.equal(model.vaeScalingFactor, 1);
      assert.equal(model.floatType, "float32");
      assert.equal(model.vaeFloatType, "float16");
      const [, , h, w] = reference.latentShape;
      const latents = Float32Array.from(reference.latents);
      const raw = await decodeLatents(model, latents, 1, h, w);
      assert.ok(
        relativeError(raw, reference.image) <= reference.tolerance,
        `relative error ${relativeError(raw, reference.image)}`
      );

      // The pipeline's own decode divides by the tiny decoder's factor (1), not the VAE's 0.18215.
      const image = await model.family.decode(model, latents, h, w, new Timings());
      const expected = toRgb(
        Float32Array.from(reference.image),
        reference.imageShape[3],
        reference.imageShape[2]
      );
      assert.equal(image.width, 64);
      let worst = 0;
      for (let i = 0; i < image.pixels.length; i++)
        worst = Math.max(worst, Math.abs(image.pixels[i] - expected.pixels[i]));
      assert.ok(worst <= Math.ceil(reference.tolerance * 255), `largest pixel difference ${worst}`);
    } finally {
      await model.release();
    }
  });

  it("decodes generate()'s final latents, timed as the decoder stage", async () => {
    const model = await loadModel(dir, { device: "cpu", threads: 1 });
    try {
      const result = await generate(model, {
        prompt: "a lake at dawn",
        width: 64,
        height: 64,
        steps: 2,
        seed: 3,
      });
      const raw = await decodeLatents(model, result.latents, 1, 8, 8);
      expect(result.images[0]).toStrictEqual(toRgb(raw, 64, 64));
      assert.equal(result.timings.stages.get("vae_decoder")?.length, 1);
    } finally {
      await model.release();
    }
  });

  it('gives way to the full VAE with decoder "full", and the two draw different pictures', async () => {
    const tiny = await loadModel(dir, { device: "cpu", threads: 1, decoder: "tiny" });
    const full = await loadModel(dir, { device: "cpu", threads: 1, decoder: "full" });
    try {
      assert.equal(full.decoder, "vae_decoder");
      assert.equal(full.vaeScalingFactor, 0.18215);
      assert.equal(full.vaeFloatType, "float32");
      const req = { prompt: "a lake at dawn", width: 64, height: 64, steps: 2, seed: 3 };
      const a = await generate(tiny, req);
      const b = await generate(full, req);
      expect(a.latents).toStrictEqual(b.latents);
      expect(a.images[0].pixels).not.toStrictEqual(b.images[0].pixels);
    } finally {
      await tiny.release();
      await full.release();
    }
  });

  it('decoder "tiny" on a folder without one is refused by name; "auto" keeps the VAE', async () => {
    await assert.rejects(
      loadModel(fixtureModel("sd21"), { device: "cpu", decoder: "tiny" }),
      (e: Error) => e instanceof ModelError && /taesd_decoder: .* is missing/.test(e.message)
    );
    const model = await loadModel(fixtureModel("sd21"), { device: "cpu", threads: 1 });
    try {
      assert.equal(model.decoder, "vae_decoder");
    } finally {
      await model.release();
    }
  });

  it("refuses a tiny decoder whose config.json has a scaling_factor that is not a positive number", async () => {
    const bad = folderWithTinyDecoder();
    try {
      const path = join(bad, "taesd_decoder", "config.json");
      writeFileSync(
        path,
        JSON.stringify({ ...JSON.parse(readFileSync(path, "utf8")), scaling_factor: 0 })
      );
      await assert.rejects(
        loadModel(bad, { device: "cpu" }),
        (e: Error) =>
          e instanceof ModelError &&
          /taesd_decoder.*scaling_factor must be a positive number/.test(e.message)
      );
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it("is chosen by LUMEN_DECODER, which accepts only auto, full and tiny", () => {
    assert.equal(loadConfig({}, {}).decoder, "auto");
    assert.equal(loadConfig({}, { LUMEN_DECODER: "full" }).decoder, "full");
    assert.throws(() => loadConfig({}, { LUMEN_DECODER: "small" }), /decoder/);
  });
});
