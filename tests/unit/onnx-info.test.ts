// The ONNX declarations the model listing reads without loading a model: inputs, operators,
// external data files; and the providers a set of operators can be expected to run on.
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { expectedDevices } from "../../backend/engine/device-support";
import { readOnnxInfo } from "../../backend/engine/onnx-info";
import { fixtureModel, fixturesDir } from "../helpers/fixtures";

const work = mkdtempSync(join(tmpdir(), "lumen-onnx-info-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("readOnnxInfo", () => {
  it("reads an fp32 UNet's inputs and element types", () => {
    const info = readOnnxInfo(join(fixtureModel("sd15"), "unet", "model.onnx"));
    expect(info.inputs).toStrictEqual([
      { name: "sample", type: "float32" },
      { name: "timestep", type: "int64" },
      { name: "encoder_hidden_states", type: "float32" },
    ]);
    assert.equal(info.opsets.get("ai.onnx"), 14);
    assert.ok(info.operators.has("ai.onnx:Conv"), [...info.operators].join(" "));
    expect([...info.weightTypes.keys()]).toStrictEqual(["float32"]);
    assert.equal(info.externalFiles.size, 0);
  });

  it("reads an fp16 SDXL UNet's five inputs", () => {
    const info = readOnnxInfo(join(fixtureModel("sdxl"), "unet", "model.onnx"));
    expect(info.inputs.map((i) => `${i.name}:${i.type}`)).toStrictEqual([
      "sample:float16",
      "timestep:float16",
      "encoder_hidden_states:float16",
      "text_embeds:float16",
      "time_ids:float16",
    ]);
    assert.ok(info.weightTypes.has("float16"));
  });

  it("names the external data file of a graph whose weights live beside it", () => {
    const info = readOnnxInfo(join(fixturesDir, "hub", "sd15-onnx-data", "unet", "model.onnx"));
    expect([...info.externalFiles]).toStrictEqual(["model.onnx_data"]);
    // Same graph as the inline fixture: same inputs and operators.
    const inline = readOnnxInfo(join(fixtureModel("sd15"), "unet", "model.onnx"));
    expect(info.inputs).toStrictEqual(inline.inputs);
    expect([...info.operators].sort()).toStrictEqual([...inline.operators].sort());
  });

  it("fails on a truncated file and on a file that is not ONNX", () => {
    const bytes = readFileSync(join(fixtureModel("sd15"), "unet", "model.onnx"));
    const truncated = join(work, "truncated.onnx");
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    assert.throws(() => readOnnxInfo(truncated));
    const text = join(work, "text.onnx");
    writeFileSync(text, "version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 3\n");
    assert.throws(() => readOnnxInfo(text));
  });
});

describe("expectedDevices", () => {
  it("runs standard operators everywhere", () => {
    expect(expectedDevices(["ai.onnx:Conv", "ai.onnx:MatMul", "ai.onnx:Softmax"])).toStrictEqual([
      "cpu",
      "cuda",
      "webgpu",
      "dml",
      "coreml",
    ]);
  });

  it("keeps GPU-only contrib operators to the providers that have them (GroupNorm: CUDA, DirectML; NhwcConv: CUDA)", () => {
    expect(expectedDevices(["ai.onnx:Conv", "com.microsoft:GroupNorm"])).toStrictEqual([
      "cuda",
      "dml",
    ]);
    expect(
      expectedDevices(["com.microsoft:NhwcConv", "com.microsoft:MultiHeadAttention"])
    ).toStrictEqual(["cuda"]);
  });

  it("lets a GPU provider lean on CPU kernels and WebGPU run its own", () => {
    expect(
      expectedDevices(["com.microsoft:MultiHeadAttention", "com.microsoft:SkipLayerNormalization"])
    ).toStrictEqual(["cpu", "cuda", "webgpu", "dml", "coreml"]);
    expect(expectedDevices(["com.microsoft:BiasSplitGelu", "com.microsoft:BiasAdd"])).toStrictEqual(
      ["cuda", "webgpu", "dml"]
    );
  });

  it("knows no provider for operators of other domains", () => {
    expect(expectedDevices(["ai.onnx.contrib:StringRegexReplace"])).toStrictEqual([]);
    expect(expectedDevices(["com.microsoft:NoSuchOperator"])).toStrictEqual([]);
  });
});
