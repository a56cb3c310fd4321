// The embedded default model, through the same engine and CLI a user runs.
import { strict as assert } from "node:assert";
import { after, describe, it } from "node:test";
import { encodeImage, generate, loadModel, resolveModelDir, type LoadedModel, type RgbImage } from "../../backend/engine";

let model: LoadedModel | undefined;
const open = async () => (model ??= await loadModel(resolveModelDir(undefined), { device: "cpu" }));
after(() => model?.release());

const luminance = (img: RgbImage) => {
  let sum = 0;
  for (let i = 0; i < img.pixels.length; i += 3) sum += 0.2126 * img.pixels[i] + 0.7152 * img.pixels[i + 1] + 0.0722 * img.pixels[i + 2];
  return sum / (img.pixels.length / 3);
};

describe("embedded model (lumen-landscapes)", () => {
  it("is the default model, with its own defaults and native size", async () => {
    const m = await open();
    assert.equal(m.name, "lumen-landscapes");
    assert.deepEqual(m.nativeSize, [128, 128]);
    assert.ok(m.defaults.steps <= 8, "few steps are a product goal");
  });

  it("gives the same bytes for the same seed and different images for different seeds", async () => {
    const m = await open();
    const png = async (seed: number) => encodeImage((await generate(m, { prompt: "a lake in the mountains at sunrise", seed })).images[0]);
    const [a, b, c] = [await png(5), await png(5), await png(6)];
    assert.ok(a.equals(b));
    assert.ok(!a.equals(c));
  });

  it("paints night darker than midday", async () => {
    const m = await open();
    const mean = async (prompt: string) => {
      const { images } = await generate(m, { prompt, seed: 1, n: 4 });
      return images.reduce((s, img) => s + luminance(img), 0) / images.length;
    };
    const night = await mean("a lake between hills at night with the moon and stars");
    const midday = await mean("a lake between hills at midday under a clear blue sky");
    assert.ok(night + 30 < midday, `night ${night.toFixed(1)} vs midday ${midday.toFixed(1)}`);
  });
});
