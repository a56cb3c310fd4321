import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { LoadedModel } from "../../backend/engine";
import { generationSize } from "../../backend/engine";

const model = (sizeMultiple: number, nativeSize?: [number, number]) => ({ sizeMultiple, nativeSize }) as LoadedModel;

describe("generation size", () => {
  it("rounds sides to the model's multiple, so ONNX UNets get latents they can halve", () => {
    assert.deepEqual(generationSize(model(64), 512, 512), [512, 512]);
    assert.deepEqual(generationSize(model(64), 512, 288), [512, 320]);
    assert.deepEqual(generationSize(model(64), 1024, 576), [1024, 576]);
    assert.deepEqual(generationSize(model(8), 100 - 4, 64), [96, 64]);
  });

  it("generates at about the native area with the requested aspect for small models", () => {
    const small = model(32, [128, 128]);
    assert.deepEqual(generationSize(small, 512, 512), [128, 128]);
    assert.deepEqual(generationSize(small, 512, 288), [160, 96]); // 16:9 → 5:3, centre-cropped later
    assert.deepEqual(generationSize(small, 384, 512), [96, 160]);
    assert.deepEqual(generationSize(small, 64, 64), [64, 64]); // smaller than native: as asked
  });
});
