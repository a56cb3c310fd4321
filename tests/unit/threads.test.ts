import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { loadModel } from "../../backend/engine";
import { componentBytes, defaultThreads, SMALL_MODEL_BYTES } from "../../backend/engine/threads";
import { fixtureModel } from "../helpers/fixtures";

describe("default CPU threads by model size", () => {
  const dir = mkdtempSync(join(tmpdir(), "lumen-threads-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("counts a component's ONNX files with their external data, and nothing else", () => {
    mkdirSync(join(dir, "unet"));
    writeFileSync(join(dir, "unet", "model.onnx"), Buffer.alloc(1000));
    writeFileSync(join(dir, "unet", "model.onnx_data"), Buffer.alloc(5000));
    writeFileSync(join(dir, "unet", "config.json"), "{}");
    assert.equal(componentBytes(dir, "unet"), 6000);
    assert.equal(componentBytes(dir, "missing"), 0);
  });

  it("gives small denoisers one thread and leaves real-size ones to ONNX Runtime (every core)", () => {
    assert.equal(defaultThreads(19 * 2 ** 20), 1);
    assert.equal(defaultThreads(SMALL_MODEL_BYTES - 1), 1);
    assert.equal(defaultThreads(SMALL_MODEL_BYTES), undefined);
    assert.equal(defaultThreads(3_465_703_031), undefined); // SD-Turbo's fp32 UNet
  });

  it("applies when loading: a fixture runs on one thread unless asked for more", async () => {
    const small = await loadModel(fixtureModel("sd15"), { device: "cpu" });
    const asked = await loadModel(fixtureModel("sd15"), { device: "cpu", threads: 2 });
    try {
      assert.equal(small.threads, 1);
      assert.equal(asked.threads, 2);
    } finally {
      await small.release();
      await asked.release();
    }
  });
});
