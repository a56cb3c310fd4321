import { describe, expect, it } from "@jest/globals";
import type { LoadedModel } from "../../backend/engine";
import { sizeForAspect } from "../../backend/api/generation-service";
import { generationSize } from "../../backend/engine";

const model = (sizeMultiple: number, nativeSize?: [number, number]) =>
  ({ sizeMultiple, nativeSize }) as LoadedModel;

describe("generation size", () => {
  it("rounds sides to the model's multiple, so ONNX UNets get latents they can halve", () => {
    expect(generationSize(model(64), 512, 512)).toStrictEqual([512, 512]);
    expect(generationSize(model(64), 512, 288)).toStrictEqual([512, 320]);
    expect(generationSize(model(64), 1024, 576)).toStrictEqual([1024, 576]);
    expect(generationSize(model(8), 100 - 4, 64)).toStrictEqual([96, 64]);
  });

  it("generates at about the native area with the requested aspect for small models", () => {
    const small = model(32, [128, 128]);
    expect(generationSize(small, 512, 512)).toStrictEqual([128, 128]);
    expect(generationSize(small, 512, 288)).toStrictEqual([160, 96]); // 16:9 → 5:3, centre-cropped later
    expect(generationSize(small, 384, 512)).toStrictEqual([96, 160]);
    expect(generationSize(small, 64, 64)).toStrictEqual([64, 64]); // smaller than native: as asked
  });

  it("gives a 256² model with a multiple of 64 the three frames its training renders", () => {
    // models/training/landscapes: render3d.FRAMES, so the UNet has seen every shape it is asked for
    const v2 = model(64, [256, 256]);
    const frame = (aspect: Parameters<typeof sizeForAspect>[0]) =>
      generationSize(v2, ...sizeForAspect(aspect, 512, 64));
    expect(frame("square")).toStrictEqual([256, 256]);
    expect(frame("wide")).toStrictEqual([320, 192]);
    expect(frame("landscape")).toStrictEqual([320, 192]);
    expect(frame("portrait")).toStrictEqual([192, 320]);
    expect(generationSize(v2, 1792, 1024)).toStrictEqual([320, 192]); // OpenAI's sizes
    expect(generationSize(v2, 1024, 1792)).toStrictEqual([192, 320]);
  });
});
