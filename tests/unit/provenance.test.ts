import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import extractChunks from "png-chunks-extract";
import sharp from "sharp";
import type { RgbImage } from "../../backend/engine";
import {
  encodeWithProvenance,
  GENERATOR,
  parametersText,
  readProvenance,
  TRAINED_ALGORITHMIC_MEDIA,
  transcode,
  xmpPacket,
  xmpProperty,
  type GenerationInfo,
} from "../../backend/provenance";

const info: GenerationInfo = {
  prompt: "a lake at dusk",
  negativePrompt: "blurry",
  steps: 4,
  sampler: "euler",
  guidance: 1,
  seed: 3,
  width: 24,
  height: 16,
  model: "lumen-landscapes",
};

function gradient(width: number, height: number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels.set([x * 10, y * 15, 128], (y * width + x) * 3);
  return { width, height, pixels };
}
const image = gradient(24, 16);
const formats = ["png", "jpeg", "webp"] as const;

const chunkNames = (png: Buffer) =>
  extractChunks(png).map((c) => {
    const end = c.data.indexOf(0);
    return c.name === "tEXt" || c.name === "iTXt"
      ? `${c.name} ${Buffer.from(c.data.subarray(0, end)).toString("latin1")}`
      : c.name;
  });

describe("parameters text", () => {
  it("has the A1111 form with the generator", () => {
    assert.equal(
      parametersText(info),
      "a lake at dusk\nNegative prompt: blurry\n" +
        `Steps: 4, Sampler: Euler, CFG scale: 1, Seed: 3, Size: 24x16, Model: lumen-landscapes, Generator: Lumen ${GENERATOR.version}`
    );
  });

  it("omits an empty negative prompt, spells samplers as A1111 does and quotes values with separators", () => {
    const text = parametersText({
      ...info,
      negativePrompt: " ",
      sampler: "euler_a",
      guidance: 7.5,
      model: "a, b: c",
    });
    assert.equal(text.split("\n").length, 2);
    assert.match(text, /Sampler: Euler a, CFG scale: 7\.5,/);
    assert.match(text, /Model: "a, b: c", Generator:/);
  });

  it("takes the version from package.json", () => {
    assert.equal(GENERATOR.name, "Lumen");
    assert.match(GENERATOR.version, /^\d+\.\d+\.\d+/);
  });
});

describe("XMP packet", () => {
  it("escapes a prompt with markup characters and reads it back", () => {
    const prompt = `a "tiny" <b>cabin</b> & 'smoke' \u0007`;
    const xmp = xmpPacket({ ...info, prompt });
    assert.ok(!xmp.includes("<b>"));
    assert.ok(!xmp.includes("\u0007"));
    assert.ok(xmp.includes("&lt;b&gt;cabin&lt;/b&gt; &amp; &apos;smoke&apos;"));
    assert.equal(xmpProperty(xmp, "dc:description"), prompt.replace("\u0007", "\uFFFD"));
    assert.equal(
      xmpProperty(xmp, "Iptc4xmpExt:AIPromptInformation"),
      prompt.replace("\u0007", "\uFFFD")
    );
  });

  it("marks the image as trained algorithmic media, names the generator and the model, and has no timestamps", () => {
    const xmp = xmpPacket(info);
    assert.equal(xmpProperty(xmp, "Iptc4xmpExt:DigitalSourceType"), TRAINED_ALGORITHMIC_MEDIA);
    assert.equal(xmpProperty(xmp, "xmp:CreatorTool"), `Lumen ${GENERATOR.version}`);
    assert.equal(xmpProperty(xmp, "Iptc4xmpExt:AISystemUsed"), "lumen-landscapes");
    assert.equal(xmpProperty(xmp, "lumen:model"), "lumen-landscapes");
    assert.equal(xmpProperty(xmp, "lumen:parameters"), parametersText(info));
    assert.ok(!/Date|\d{4}-\d\d-\d\dT/.test(xmp));
  });

  it("reads properties in attribute and resource form too", () => {
    const xmp = `<rdf:Description Iptc4xmpExt:DigitalSourceType="x&amp;y"/><dc:x rdf:resource="r"/>`;
    assert.equal(xmpProperty(xmp, "Iptc4xmpExt:DigitalSourceType"), "x&y");
    assert.equal(xmpProperty(xmp, "dc:x"), "r");
  });
});

describe("encodeWithProvenance / readProvenance", () => {
  for (const format of formats) {
    it(`${format}: every field reads back`, async () => {
      const bytes = await encodeWithProvenance(image, info, { format });
      const meta = await sharp(bytes).metadata();
      assert.equal(meta.format, format);
      expect([meta.width, meta.height]).toStrictEqual([24, 16]);
      const read = await readProvenance(bytes);
      assert.equal(read.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
      assert.equal(read.parameters, parametersText(info));
      assert.equal(read.xmp, xmpPacket(info));
      assert.equal(xmpProperty(read.xmp!, "xmp:CreatorTool"), `Lumen ${GENERATOR.version}`);
      assert.equal(xmpProperty(read.xmp!, "lumen:model"), info.model);
      assert.equal(xmpProperty(read.xmp!, "dc:description"), info.prompt);
    });

    it(`${format}: the same pixels and info give the same bytes`, async () => {
      const a = await encodeWithProvenance(image, info, { format });
      const b = await encodeWithProvenance(gradient(24, 16), { ...info }, { format });
      assert.ok(a.equals(b));
    });
  }

  it("PNG carries an iTXt XMP chunk and a tEXt parameters chunk before the image data", async () => {
    const names = chunkNames(await encodeWithProvenance(image, info));
    assert.ok(names.indexOf("iTXt XML:com.adobe.xmp") > 0);
    assert.ok(names.indexOf("tEXt parameters") > 0);
    assert.ok(names.indexOf("tEXt parameters") < names.indexOf("IDAT"));
  });

  it("PNG parameters outside Latin-1 go in an iTXt chunk and read back", async () => {
    const prompt = "湖の夕暮れ 🌄 & <stars>";
    const png = await encodeWithProvenance(image, { ...info, prompt });
    assert.ok(chunkNames(png).includes("iTXt parameters"));
    const read = await readProvenance(png);
    assert.equal(read.parameters, parametersText({ ...info, prompt }));
    assert.equal(xmpProperty(read.xmp!, "dc:description"), prompt);
  });

  it("resizes when asked", async () => {
    const png = await encodeWithProvenance(image, info, { width: 48, height: 32 });
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toStrictEqual([48, 32]);
  });
});

describe("transcode", () => {
  for (const format of formats) {
    it(`PNG → ${format} thumbnail keeps the provenance`, async () => {
      const png = await encodeWithProvenance(image, info);
      const out = await transcode(png, { format, width: 12 });
      const meta = await sharp(out).metadata();
      assert.equal(meta.format, format);
      expect([meta.width, meta.height]).toStrictEqual([12, 8]);
      const read = await readProvenance(out);
      assert.equal(read.xmp, xmpPacket(info));
      assert.equal(read.parameters, parametersText(info));
      assert.equal(read.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    });
  }

  it("PNG → PNG keeps the tEXt parameters chunk", async () => {
    const out = await transcode(await encodeWithProvenance(image, info), {
      format: "png",
      width: 48,
      height: 32,
    });
    assert.ok(chunkNames(out).includes("tEXt parameters"));
  });
});
