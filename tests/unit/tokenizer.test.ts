import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "@jest/globals";
import { cleanPrompt, loadTokenizer } from "../../backend/engine/tokenizer";
import { fixturesDir } from "../helpers/fixtures";

const reference: { cases: Array<{ prompt: string; bpe_ids: number[] }> } = JSON.parse(
  readFileSync(join(fixturesDir, "clip_reference_ids.json"), "utf8")
);
const START = 49406;
const END = 49407;

// sd15 ships vocab.json + merges.txt and pads with the end token; sd21 ships tokenizer.json and pads with 0.
const layouts = [
  { name: "vocab.json + merges.txt", dir: join(fixturesDir, "sd15", "tokenizer"), pad: END },
  { name: "tokenizer.json", dir: join(fixturesDir, "sd21", "tokenizer"), pad: 0 },
];
// Loaded before the suite is declared: a describe callback must be synchronous.
const tokenizers = await Promise.all(layouts.map((layout) => loadTokenizer(layout.dir)));

describe("CLIP tokenizer", () => {
  for (const [i, layout] of layouts.entries()) {
    const tokenizer = tokenizers[i];
    for (const c of reference.cases) {
      it(`${layout.name}: ${JSON.stringify(c.prompt).slice(0, 60)}`, () => {
        const body = c.bpe_ids.slice(0, 75);
        const expected = [START, ...body, END, ...new Array(75 - body.length).fill(layout.pad)];
        expect(tokenizer.encode(c.prompt)).toStrictEqual(expected);
      });
    }
  }

  it("truncates past 77 tokens and keeps the end token", async () => {
    const tokenizer = await loadTokenizer(layouts[0].dir);
    // "a photo of a cat" is [320, 1125, 539, 320, 2368] in the reference; 20 copies are 100 tokens.
    const ids = tokenizer.encode(new Array(20).fill("a photo of a cat").join(" "));
    const body = new Array(20).fill([320, 1125, 539, 320, 2368]).flat().slice(0, 75);
    expect(ids).toStrictEqual([START, ...body, END]);
  });

  it("straightens curly quotes and unescapes HTML as CLIP's clean-up does", () => {
    assert.equal(cleanPrompt("  it\u2019s   &amp; \u201cfine\u201d "), 'it\'s & "fine"');
  });

  it("refuses a folder without tokenizer files, naming it", async () => {
    await assert.rejects(loadTokenizer(fixturesDir), /neither tokenizer\.json nor vocab\.json/);
  });
});
