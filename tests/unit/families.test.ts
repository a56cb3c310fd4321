// How a model folder's family is recognised and which defaults it gets, from the JSON files real
// exports write (model_index.json's _class_name, scheduler_config.json).
import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { ModelError } from "../../backend/engine";
import {
  familyOf,
  isFewStepDistilled,
  recogniseFamily,
  sd,
  sdxl,
} from "../../backend/engine/families";
import { listModels } from "../../backend/engine/registry";

describe("model families", () => {
  it("recognises the pipeline classes exporters write into model_index.json", () => {
    // diffusers' ONNX conversion script, optimum's ORT pipelines, optimum-cli export onnx.
    for (const name of [
      "OnnxStableDiffusionPipeline",
      "ORTStableDiffusionPipeline",
      "StableDiffusionPipeline",
      "ORTStableDiffusionImg2ImgPipeline",
    ]) {
      assert.equal(familyOf({ _class_name: name }), sd, name);
    }
    for (const name of [
      "ORTStableDiffusionXLPipeline",
      "StableDiffusionXLPipeline",
      "StableDiffusionXLImg2ImgPipeline",
    ]) {
      assert.equal(familyOf({ _class_name: name }), sdxl, name);
    }
  });

  it("refuses a pipeline class no family runs, naming it and the known ones", () => {
    for (const index of [
      { _class_name: "StableDiffusion3Pipeline" },
      { _class_name: "StableDiffusionInpaintPipeline" },
      {},
    ]) {
      assert.equal(familyOf(index), undefined);
      assert.throws(
        () => recogniseFamily(index),
        (e: Error) =>
          e instanceof ModelError &&
          e.message.includes(JSON.stringify(index._class_name ?? null)) &&
          /known: .*StableDiffusionXLPipeline/.test(e.message)
      );
    }
  });

  it("takes trailing spacing without zero-terminal-SNR as a few-step distilled checkpoint", () => {
    assert.equal(isFewStepDistilled({ timestep_spacing: "trailing" }), true); // SD-Turbo, SDXL-Turbo
    assert.equal(isFewStepDistilled({ timestep_spacing: "leading" }), false); // SD 1.5, SDXL base
    assert.equal(isFewStepDistilled({}), false); // older configs: leading
    assert.equal(
      isFewStepDistilled({ timestep_spacing: "trailing", rescale_betas_zero_snr: true }),
      false
    );
  });

  it("gives each family its own settings, plain and few-step", () => {
    expect(sd.defaults(false)).toStrictEqual({ steps: 25, guidance: 7.5, width: 512, height: 512 });
    expect(sdxl.defaults(false)).toStrictEqual({
      steps: 30,
      guidance: 5,
      width: 1024,
      height: 1024,
    });
    expect(sd.defaults(true)).toStrictEqual({ steps: 1, guidance: 0, width: 512, height: 512 });
    expect(sdxl.defaults(true)).toStrictEqual({ steps: 1, guidance: 0, width: 512, height: 512 });
    assert.equal(sd.requestMultiple, 8);
    assert.equal(sdxl.requestMultiple, 64);
  });
});

describe("model listing", () => {
  const root = mkdtempSync(join(tmpdir(), "lumen-families-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("names each model's family, and a model no family runs as unsupported", () => {
    const folder = (name: string, className: string) => {
      mkdirSync(join(root, name));
      writeFileSync(
        join(root, name, "model_index.json"),
        JSON.stringify({ _class_name: className })
      );
    };
    folder("a-xl", "StableDiffusionXLPipeline");
    folder("b-sd", "ORTStableDiffusionPipeline");
    folder("c-sd3", "StableDiffusion3Pipeline");
    expect(listModels(root).map((m) => [m.name, m.kind])).toStrictEqual([
      ["a-xl", "sdxl"],
      ["b-sd", "sd"],
      ["c-sd3", "unsupported"],
    ]);
  });
});
