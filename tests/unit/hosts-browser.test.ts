// The browser adapter's pure parts; downloading and the clipboard run in the e2e tests.
import { describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import { base64ToBlob, fileNameFor } from "../../addin/hosts/browser";
import { fitInside, stripDataUrl } from "../../addin/hosts/types";

describe("browser host helpers", () => {
  it("names files after the prompt", () => {
    assert.strictEqual(
      fileNameFor("A misty lake at sunrise, with reflections!", "image/png"),
      "a-misty-lake-at-sunrise-with-reflections.png"
    );
    assert.strictEqual(fileNameFor("Fjällsjö i gryning", "image/jpeg"), "fjallsjo-i-gryning.jpg");
    assert.strictEqual(fileNameFor("!!!", "image/png"), "lumen-image.png");
    assert.ok(fileNameFor("word ".repeat(40), "image/png").length <= 64);
  });

  it("decodes base64 (with or without a data: prefix) into a typed blob", async () => {
    const blob = base64ToBlob("data:image/png;base64,AAEC/w==", "image/png");
    assert.strictEqual(blob.type, "image/png");
    expect([...new Uint8Array(await blob.arrayBuffer())]).toStrictEqual([0, 1, 2, 255]);
  });

  it("strips data URLs and whitespace, and fits sizes inside a box", () => {
    assert.strictEqual(stripDataUrl("data:image/jpeg;base64,AB\nCD"), "ABCD");
    expect(fitInside(1024, 576, 960, 540)).toStrictEqual({ width: 960, height: 540 });
    expect(fitInside(100, 200, 960, 540)).toStrictEqual({ width: 270, height: 540 });
  });
});
