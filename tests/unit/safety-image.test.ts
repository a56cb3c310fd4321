import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import {
  decideImage,
  defaultDataDir,
  loadImageChecker,
  loadImageThresholds,
  SafetyDataError,
  type ImageThresholds,
} from "../../backend/safety";

const thresholds: ImageThresholds = {
  moderate: [
    { category: "sexual", classes: ["Porn", "Hentai"], threshold: 0.6, reason: "sexual image" },
  ],
  strict: [
    {
      category: "sexual",
      classes: ["Porn", "Hentai", "Sexy"],
      threshold: 0.4,
      reason: "suggestive image",
    },
  ],
};
const scores = (
  s: Partial<Record<"Drawing" | "Hentai" | "Neutral" | "Porn" | "Sexy", number>>
) => ({
  Drawing: 0,
  Hentai: 0,
  Neutral: 0,
  Porn: 0,
  Sexy: 0,
  ...s,
});

describe("decideImage", () => {
  it("blocks when Porn and Hentai together reach the moderate threshold", () => {
    const s = scores({ Porn: 0.35, Hentai: 0.3, Neutral: 0.35 });
    expect(decideImage(s, "moderate", thresholds)).toStrictEqual({
      allowed: false,
      category: "sexual",
      reason: "sexual image",
      scores: s,
    });
  });
  it("blocks at exactly the threshold and allows just below it", () => {
    assert.equal(decideImage(scores({ Porn: 0.6 }), "moderate", thresholds).allowed, false);
    assert.equal(
      decideImage(scores({ Porn: 0.59, Neutral: 0.41 }), "moderate", thresholds).allowed,
      true
    );
  });
  it("counts Sexy only at strict", () => {
    const s = scores({ Sexy: 0.9, Neutral: 0.1 });
    assert.equal(decideImage(s, "moderate", thresholds).allowed, true);
    expect(decideImage(s, "strict", thresholds)).toStrictEqual({
      allowed: false,
      category: "sexual",
      reason: "suggestive image",
      scores: s,
    });
  });
  it("allows neutral and drawing images and returns their scores", () => {
    const s = scores({ Neutral: 0.7, Drawing: 0.3 });
    expect(decideImage(s, "strict", thresholds)).toStrictEqual({ allowed: true, scores: s });
  });
  it("treats a missing class as zero", () => {
    assert.equal(decideImage({ Neutral: 1 }, "strict", thresholds).allowed, true);
  });
});

describe("image thresholds file", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it("ships moderate and strict rules", () => {
    const shipped = loadImageThresholds();
    assert.ok(shipped.moderate.length > 0 && shipped.strict.length > 0);
  });
  it("rejects an unknown class with the file name and path", () => {
    const dir = mkdtempSync(join(tmpdir(), "lumen-safety-"));
    dirs.push(dir);
    cpSync(defaultDataDir, dir, { recursive: true });
    writeFileSync(
      join(dir, "image-thresholds.json"),
      JSON.stringify({
        ...thresholds,
        moderate: [{ ...thresholds.moderate[0], classes: ["Nude"] }],
      })
    );
    assert.throws(
      () => loadImageThresholds(dir),
      (e: Error) =>
        e instanceof SafetyDataError &&
        /image-thresholds\.json/.test(e.message) &&
        /moderate\[0\]\.classes/.test(e.message)
    );
  });
});

/** A landscape drawn by hand: a blue sky gradient over green hills, with a little texture. */
function landscape(width: number, height: number): Uint8Array {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const horizon = height * (0.55 + 0.08 * Math.sin(x / 23));
      const i = (y * width + x) * 3;
      const grain = ((x * 7919 + y * 104729) % 17) - 8;
      if (y < horizon) {
        const t = y / horizon;
        pixels.set(
          [90 + 100 * t, 150 + 70 * t, 235 + 15 * t].map((v) => v + grain / 2),
          i
        );
      } else {
        const t = (y - horizon) / (height - horizon);
        pixels.set([50 + 30 * t + grain, 130 - 40 * t + grain, 40 + grain], i);
      }
    }
  }
  return pixels;
}

describe("image checker (nsfwjs MobileNetV2, wasm)", () => {
  it("leaves the process's error handling alone while loading", async () => {
    const events = ["uncaughtException", "unhandledRejection"] as const;
    const before = events.map((e) => process.listenerCount(e));
    await loadImageChecker();
    expect(events.map((e) => process.listenerCount(e))).toStrictEqual(before);
  });
  it("allows a plain landscape, with Neutral and Drawing dominant", async () => {
    const checker = await loadImageChecker();
    for (const level of ["moderate", "strict"] as const) {
      const verdict = await checker.checkImage(
        { width: 320, height: 200, pixels: landscape(320, 200) },
        level
      );
      assert.equal(verdict.allowed, true, JSON.stringify(verdict));
      const { Neutral, Drawing, Porn, Hentai, Sexy } = verdict.scores;
      assert.ok(Neutral + Drawing > Porn + Hentai + Sexy, JSON.stringify(verdict.scores));
      const total = Object.values(verdict.scores).reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-3, `scores sum to ${total}`);
    }
  });
  it("loads the model once and frees its tensors after each image", async () => {
    const [a, b] = await Promise.all([loadImageChecker(), loadImageChecker()]);
    const tf = await import("@tensorflow/tfjs");
    assert.equal(tf.getBackend(), "wasm");
    const image = { width: 224, height: 224, pixels: landscape(224, 224) };
    await a.checkImage(image, "moderate");
    const before = tf.memory().numTensors;
    await b.checkImage(image, "strict");
    assert.equal(tf.memory().numTensors, before);
  });
  it("rejects pixels that do not match the stated size", async () => {
    const checker = await loadImageChecker();
    await assert.rejects(
      checker.checkImage({ width: 10, height: 10, pixels: new Uint8Array(10) }, "moderate"),
      RangeError
    );
  });
});
