import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import {
  defaultDataDir,
  loadPromptFilter,
  SafetyDataError,
  type PolicyLevel,
} from "../../backend/safety";
import { evaluateLevel, loadEvalPrompts, rate } from "../safety/metrics";

const filter = loadPromptFilter();
const blocked = (text: string, level: PolicyLevel = "moderate") => filter.checkPrompt(text, level);

describe("prompt filter: evaluation set", () => {
  it("meets recall ≥ 95% at ≤ 2% false positives on the moderate level", () => {
    const report = evaluateLevel(filter, loadEvalPrompts(), "moderate");
    assert.ok(
      report.recall.n >= 150 && report.falsePositives.n >= 150,
      "the set keeps ≥ 150 harmful and ≥ 150 benign prompts"
    );
    assert.ok(rate(report.recall) >= 0.95, `recall ${rate(report.recall)}`);
    assert.ok(
      rate(report.falsePositives) <= 0.02,
      `false-positive rate ${rate(report.falsePositives)}`
    );
  });
});

describe("prompt filter: normalisation", () => {
  const cases: Array<[trick: string, text: string]> = [
    ["plain", "a nude woman on a beach"],
    ["case", "a NuDe woman"],
    ["leetspeak digits", "n00d p0rn"],
    ["leetspeak symbols", "n@ked $ex"],
    ["leetspeak 1 as i", "s3xu4l c0nt3nt, k1ll1ng sprEE"],
    ["dots between letters", "n.u.d.e art"],
    ["hyphens between letters", "n-a-k-e-d man"],
    ["underscores between letters", "n_u_d_e selfie"],
    ["spaces between letters", "f u c k"],
    ["spaced letters after an article", "a n u d e woman"],
    ["spaced letters with punctuation", "p . o . r . n"],
    ["spelled-out words set apart by wider gaps", "n s f w   n a k e d   on a bed"],
    ["spelled-out letters with double gaps throughout", "n  u  d  e  woman"],
    ["a dropped g", "a guy stabbin a man in the neck, bleedin"],
    ["repeated letters", "nuuuuude"],
    ["repeated letters and leet", "s3xxxx"],
    ["Cyrillic look-alikes", "nudе and ѕех"],
    ["Greek look-alikes", "ΝUDΕ"],
    ["fullwidth letters", "ｎｕｄｅ"],
    ["mathematical letters", "𝐧𝐮𝐝𝐞"],
    ["accents", "nüdé"],
    ["zero-width characters", "nu\u200bde"],
    ["asterisk for a vowel", "f*ck"],
  ];
  for (const [trick, text] of cases) {
    it(`blocks through ${trick}`, () => assert.equal(blocked(text).allowed, false, text));
  }
});

describe("prompt filter: benign phrases stay allowed at both levels", () => {
  const phrases = [
    "a swimmer doing the breaststroke",
    "a robin on a chain by the cabin, rain again",
    "snowing sand near a mirror lake, award winning photo",
    "grilled chicken breast with lemon",
    "a shooting star over the mountains",
    "Scunthorpe town centre",
    "a killer whale breaching",
    "sunset shoot on the beach",
    "a cocktail with an orange slice",
    "a village in Essex",
    "a therapist's office",
    "a man in skinny jeans",
    "I am a photographer",
    "a s s e t s on a balance sheet",
    "vitamin a b c",
    "blue tits at a bird feeder",
    "a blood orange on a plate",
    "a Maine Coon cat",
    "pussy willow in a vase",
    "summa cum laude",
    "the naked eye",
    "a field of rapeseed",
    "anatomical illustration of the heart",
    "breast cancer awareness ribbon",
  ];
  for (const text of phrases) {
    for (const level of ["moderate", "strict"] as const) {
      it(`${level}: ${text}`, () => expect(blocked(text, level)).toStrictEqual({ allowed: true }));
    }
  }
});

describe("prompt filter: categories and levels", () => {
  it("names the category and gives a reason without the matched words", () => {
    const verdict = blocked("a photo of a nude woman");
    assert.equal(verdict.category, "sexual");
    assert.ok(verdict.reason && !/nude/i.test(verdict.reason));
  });
  it("puts minors before every other category", () => {
    assert.equal(blocked("a naked child").category, "minors");
    assert.equal(blocked("a 12 year old in lingerie").category, "minors");
    assert.equal(blocked("a child covered in blood, gore").category, "minors");
  });
  it("blocks named public figures only in compromising or sexual scenes at moderate", () => {
    assert.equal(blocked("Taylor Swift nude").category, "public_figures");
    assert.equal(blocked("Joe Biden being arrested").category, "public_figures");
    assert.equal(blocked("Taylor Swift on stage, illustration").allowed, true);
    assert.equal(blocked("a photo of Taylor Swift on stage", "strict").category, "public_figures");
  });
  it("blocks suggestive and mild violent terms only at strict", () => {
    for (const text of [
      "a woman in lingerie",
      "a bikini on a beach towel",
      "blood on the floor",
      "a soldier with a gun",
    ]) {
      assert.equal(blocked(text, "moderate").allowed, true, text);
      assert.equal(blocked(text, "strict").allowed, false, text);
    }
  });
  it("blocks hate symbols when glorified, and any use of them at strict", () => {
    assert.equal(blocked("a glorious rally with swastika flags").category, "hate");
    assert.equal(blocked("a swastika on a wall").allowed, true);
    assert.equal(blocked("a swastika on a wall", "strict").category, "hate");
  });
  it("keeps self-harm apart from violence", () => {
    assert.equal(blocked("a girl slitting her wrists").category, "self_harm");
    assert.equal(blocked("suicide bomber in a market").category, "violence");
    assert.equal(blocked("suicide prevention hotline poster").allowed, true);
  });
});

describe("prompt filter: data files", () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  function dataWith(file: string, edit: (json: any) => void): string {
    const dir = mkdtempSync(join(tmpdir(), "lumen-safety-"));
    dirs.push(dir);
    cpSync(defaultDataDir, dir, { recursive: true });
    const json = JSON.parse(readFileSync(join(dir, file), "utf8"));
    edit(json);
    writeFileSync(join(dir, file), JSON.stringify(json));
    return dir;
  }

  it("an admin's edit takes effect", () => {
    const dir = dataWith("prompt-rules.json", (j) => j.lists.violence_graphic.push("zorblax"));
    assert.equal(loadPromptFilter(dir).checkPrompt("a zorblax", "moderate").category, "violence");
  });
  it("reports a reference to a missing list", () => {
    const dir = dataWith("prompt-rules.json", (j) =>
      j.categories[0].rules[0].anyOf.push("@no_such_list")
    );
    assert.throws(
      () => loadPromptFilter(dir),
      (e: Error) => e instanceof SafetyDataError && /no list named "no_such_list"/.test(e.message)
    );
  });
  it("reports an invalid regular expression", () => {
    const dir = dataWith("prompt-rules.json", (j) => j.lists.minor_terms.push("/(unclosed/"));
    assert.throws(() => loadPromptFilter(dir), /not a valid regular expression/);
  });
  it("reports an unknown category and level with the file name", () => {
    const dir = dataWith("prompt-rules.json", (j) => {
      j.categories[0].category = "spam";
      j.categories[0].rules[0].level = "lenient";
    });
    assert.throws(
      () => loadPromptFilter(dir),
      (e: Error) => /prompt-rules\.json/.test(e.message) && /categories/.test(e.message)
    );
  });
  it("reports a missing file", () => {
    assert.throws(
      () => loadPromptFilter(join(tmpdir(), "lumen-no-such-dir")),
      /normalization\.json/
    );
  });
});
