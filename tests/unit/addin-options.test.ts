// The task pane's choices follow the organisation's policy (GET /api/policy): how many images,
// which aspects, styles and models; options set earlier are brought within them.
import { describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import type { Policy } from "../../contract";
import { DEFAULT_POLICY } from "../../addin/api/policy";
import {
  choicesFor,
  defaultOptions,
  nearestAspect,
  toRequest,
  withinChoices,
} from "../../addin/shared/options";

const policy = (overrides: Partial<Policy>): Policy => ({ ...DEFAULT_POLICY, ...overrides });

describe("choices from the policy", () => {
  it("offers 1 to maxImagesPerRequest images", () => {
    expect(choicesFor(policy({ maxImagesPerRequest: 2 })).counts).toStrictEqual([1, 2]);
    expect(choicesFor(policy({ maxImagesPerRequest: 1 })).counts).toStrictEqual([1]);
    expect(choicesFor(DEFAULT_POLICY).counts).toStrictEqual([1, 2, 3, 4]);
  });

  it("offers only the aspects and styles the policy lists, in the usual order", () => {
    const choices = choicesFor(policy({ aspects: ["wide", "square"], styles: ["photo", "none"] }));
    expect(choices.aspects.map((a) => a.value)).toStrictEqual(["square", "wide"]);
    expect(choices.styles.map((s) => s.value)).toStrictEqual(["none", "photo"]);
  });

  it("lists the policy's models only when there is a choice", () => {
    expect(
      choicesFor(policy({ models: ["lumen-landscapes"], defaultModel: "lumen-landscapes" })).models
    ).toStrictEqual([]);
    const choices = choicesFor(
      policy({ models: ["sd-turbo", "lumen-landscapes"], defaultModel: "lumen-landscapes" })
    );
    expect(choices.models).toStrictEqual(["sd-turbo", "lumen-landscapes"]);
    assert.strictEqual(choices.defaultModel, "lumen-landscapes");
  });

  it("brings earlier options within the policy: count, aspect, style and model", () => {
    const choices = choicesFor(
      policy({
        maxImagesPerRequest: 2,
        aspects: ["square", "portrait"],
        styles: ["none"],
        models: ["a", "b"],
        defaultModel: "a",
      })
    );
    const options = withinChoices(
      defaultOptions({ count: 4, aspect: "wide", style: "photo", model: "sdxl" }),
      choices
    );
    expect({
      count: options.count,
      aspect: options.aspect,
      style: options.style,
      model: options.model,
    }).toStrictEqual({ count: 2, aspect: "square", style: "none", model: "" });
    assert.strictEqual(withinChoices(defaultOptions({ model: "b" }), choices).model, "b");
  });

  it("sends a model only when one other than the server's default was chosen", () => {
    assert.strictEqual(toRequest(defaultOptions({ prompt: "a lake" })).model, undefined);
    assert.strictEqual(
      toRequest(defaultOptions({ prompt: "a lake", model: "sd-turbo" })).model,
      "sd-turbo"
    );
  });

  it("sends a starting picture with its strength, and neither without a picture", () => {
    const picture = { dataUrl: "data:image/png;base64,iVBORw0KGgo=", name: "hills.png" };
    const request = toRequest(
      defaultOptions({ prompt: "the same hills in snow", picture, strength: 0.45 })
    );
    expect([request.image, request.strength]).toStrictEqual([picture.dataUrl, 0.45]);
    const plain = toRequest(defaultOptions({ prompt: "hills", strength: 0.45 }));
    expect([plain.image, plain.strength]).toStrictEqual([undefined, undefined]);
  });

  it("matches a starting picture's aspect to the closest one the policy allows", () => {
    const all = choicesFor(DEFAULT_POLICY);
    assert.strictEqual(nearestAspect(1920, 1080, all), "wide");
    assert.strictEqual(nearestAspect(1024, 768, all), "landscape");
    assert.strictEqual(nearestAspect(600, 800, all), "portrait");
    assert.strictEqual(nearestAspect(500, 510, all), "square");
    assert.strictEqual(
      nearestAspect(1920, 1080, choicesFor(policy({ aspects: ["square", "portrait"] }))),
      "square"
    );
  });
});
