import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { loadModel } from "../../backend/engine";
import { componentBytes, cpuSettings, SMALL_MODEL_BYTES } from "../../backend/engine/cpu-settings";
import { sessionOptions } from "../../backend/engine/providers";
import { fixtureModel } from "../helpers/fixtures";

describe("CPU settings by model size", () => {
  const dir = mkdtempSync(join(tmpdir(), "lumen-cpu-settings-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("counts a component's ONNX files with their external data, and nothing else", () => {
    mkdirSync(join(dir, "unet"));
    writeFileSync(join(dir, "unet", "model.onnx"), Buffer.alloc(1000));
    writeFileSync(join(dir, "unet", "model.onnx_data"), Buffer.alloc(5000));
    writeFileSync(join(dir, "unet", "config.json"), "{}");
    assert.equal(componentBytes(dir, "unet"), 6000);
    assert.equal(componentBytes(dir, "missing"), 0);
  });

  it("gives small denoisers one thread, the memory arena and prepacked encoders; real-size ones every core and neither", () => {
    expect(cpuSettings(19 * 2 ** 20)).toStrictEqual({
      threads: 1,
      memArena: true,
      prepackEncoders: true,
    });
    expect(cpuSettings(SMALL_MODEL_BYTES - 1)).toStrictEqual({
      threads: 1,
      memArena: true,
      prepackEncoders: true,
    });
    expect(cpuSettings(SMALL_MODEL_BYTES)).toStrictEqual({
      threads: undefined,
      memArena: false,
      prepackEncoders: false,
    });
    expect(cpuSettings(3_465_703_031)).toStrictEqual({
      threads: undefined,
      memArena: false,
      prepackEncoders: false,
    }); // SD-Turbo's fp32 UNet
  });

  it("asks ORT not to prepack where prepacking is off, and says nothing otherwise", () => {
    expect(sessionOptions("cpu", { prepack: false }).extra).toStrictEqual({
      session: { disable_prepacking: "1" },
    });
    assert.equal(sessionOptions("cpu", { prepack: true }).extra, undefined);
    assert.equal(sessionOptions("cpu").extra, undefined);
  });

  it("applies when loading, unless asked otherwise", async () => {
    const small = await loadModel(fixtureModel("sd15"), { device: "cpu" });
    const asked = await loadModel(fixtureModel("sd15"), {
      device: "cpu",
      threads: 2,
      memArena: false,
    });
    try {
      assert.equal(small.threads, 1);
      assert.equal(small.memArena, true);
      assert.equal(asked.threads, 2);
      assert.equal(asked.memArena, false);
    } finally {
      await small.release();
      await asked.release();
    }
  });
});
