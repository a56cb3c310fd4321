// The embedded default model, through the same engine and CLI a user runs.
import { strict as assert } from "node:assert";
import { afterAll, describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  encodeImage,
  generate,
  loadModel,
  resolveModelDir,
  type LoadedModel,
  type RgbImage,
} from "../../backend/engine";
import { pixelDistance, relativeError } from "../helpers/fixtures";

let model: LoadedModel | undefined;
const open = async () => (model ??= await loadModel(resolveModelDir(undefined), { device: "cpu" }));
afterAll(() => model?.release());

/** The mean over an image's pixels of a measure of one pixel's red, green and blue. */
const pixelMean =
  (measure: (r: number, g: number, b: number) => number) =>
  ({ pixels }: RgbImage) => {
    let sum = 0;
    for (let i = 0; i < pixels.length; i += 3)
      sum += measure(pixels[i], pixels[i + 1], pixels[i + 2]);
    return sum / (pixels.length / 3);
  };

const luminance = pixelMean((r, g, b) => 0.2126 * r + 0.7152 * g + 0.0722 * b);
/** Red minus blue: warm light is red-orange, a clear midday sky and its light are blue. */
const warmth = pixelMean((r, _g, b) => r - b);
/** The darkest channel: high only where a pixel is both bright and colourless, as snow is. */
const whiteness = pixelMean((r, g, b) => Math.min(r, g, b));

describe("embedded model (lumen-landscapes)", () => {
  it("is the default model, with its own defaults and native size", async () => {
    const m = await open();
    assert.equal(m.name, "lumen-landscapes");
    expect(m.nativeSize).toStrictEqual([128, 128]);
    assert.ok(m.defaults.steps <= 8, "few steps are a product goal");
  });

  it("reproduces the training code's own sampling run at its default settings", async () => {
    // Written by models/training/landscapes/export.py with the PyTorch sampler the model card's numbers come from.
    const ref = JSON.parse(
      readFileSync(
        join(import.meta.dirname, "..", "fixtures", "lumen-landscapes-reference.json"),
        "utf8"
      )
    );
    const m = await open();
    expect({
      steps: m.defaults.steps,
      guidance: m.defaults.guidance,
      guidanceStart: m.defaults.guidanceStart,
    }).toStrictEqual({
      steps: ref.steps,
      guidance: ref.guidance,
      guidanceStart: ref.guidanceStart,
    });
    expect(m.encoders[0].tokenizer.encode(ref.prompt)).toStrictEqual(ref.inputIds);
    const timesteps: number[] = [];
    const result = await generate(
      m,
      { prompt: ref.prompt, seed: 0 },
      {
        initialLatents: Float32Array.from(ref.initLatents),
        onStep: ({ timestep }) => timesteps.push(timestep),
      }
    );
    expect(timesteps).toStrictEqual(ref.timesteps);
    const error = relativeError(result.latents, ref.finalLatents);
    assert.ok(error <= ref.tolerance, `final latents: relative error ${error} > ${ref.tolerance}`);
  });

  it("gives the same bytes for the same seed and different images for different seeds", async () => {
    const m = await open();
    const png = async (seed: number) =>
      encodeImage(
        (await generate(m, { prompt: "a lake in the mountains at sunrise", seed })).images[0]
      );
    const [a, b, c] = [await png(5), await png(5), await png(6)];
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
  });

  // Four seeds per prompt, averaged: what the prompt asks for, not one lucky seed.
  const meanOf = async (prompt: string, measure: (img: RgbImage) => number) => {
    const { images } = await generate(await open(), { prompt, seed: 1, n: 4 });
    return images.reduce((s, img) => s + measure(img), 0) / images.length;
  };

  it("paints night darker than midday", async () => {
    const night = await meanOf("a lake between hills at night with the moon and stars", luminance);
    const midday = await meanOf("a lake between hills at midday under a clear blue sky", luminance);
    assert.ok(night + 30 < midday, `night ${night.toFixed(1)} vs midday ${midday.toFixed(1)}`);
  });

  it("paints sunset warmer than midday", async () => {
    const sunset = await meanOf("hills with a lake at sunset, clear sky", warmth);
    const midday = await meanOf("hills with a lake at midday, clear sky", warmth);
    assert.ok(
      sunset > midday + 15,
      `red − blue: sunset ${sunset.toFixed(1)} vs midday ${midday.toFixed(1)}`
    );
  });

  it("paints snow whiter than summer", async () => {
    const snow = await meanOf("snowy mountains in winter at midday, clear sky", whiteness);
    const summer = await meanOf("green mountains in summer at midday, clear sky", whiteness);
    assert.ok(
      snow > summer + 15,
      `darkest channel: snow ${snow.toFixed(1)} vs summer ${summer.toFixed(1)}`
    );
  });

  it("starts from a picture: its encoder gives the picture back, and a lower strength stays closer to it", async () => {
    const m = await open();
    assert.ok(m.vaeEncoder, "the built-in model ships a vae_encoder");
    const prompt = "a lake in the mountains at sunrise";
    const [picture] = (await generate(m, { prompt, seed: 3 })).images;
    const distance = async (strength: number, to = prompt) => {
      const [out] = (await generate(m, { prompt: to, seed: 4, image: picture, strength })).images;
      return pixelDistance(out, picture);
    };
    // one step of eight, same prompt: the picture through the encoder and decoder, lightly re-noised
    const back = await distance(1 / 8);
    assert.ok(back < 12, `strength 1/8: ${back.toFixed(1)} levels from the picture`);
    const night = "a snowy valley at night with the moon";
    const [low, middle, high] = [
      await distance(0.25, night),
      await distance(0.5, night),
      await distance(1, night),
    ];
    assert.ok(
      low < middle && middle < high,
      `distances ${low.toFixed(1)} < ${middle.toFixed(1)} < ${high.toFixed(1)}`
    );
  });
});
