// The learned prompt classifier: its forward pass against PyTorch's, how the filter combines it
// with the term lists, and refusals of broken data files.
import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, it } from "@jest/globals";
import { defaultDataDir, loadPromptFilter, SafetyDataError } from "../../backend/safety";
import { loadPromptClassifier, promptForms } from "../../backend/safety/prompt-classifier";
import { loadPromptNormalizer } from "../../backend/safety/prompt-filter";

const classifier = loadPromptClassifier(defaultDataDir);
const normalizer = loadPromptNormalizer();
const harmOf = (text: string) =>
  classifier.classify(promptForms(normalizer.searchable(text)), "moderate").harm;
const filter = loadPromptFilter();
const termsOnly = loadPromptFilter(undefined, { classifier: false });
const meta = JSON.parse(readFileSync(join(defaultDataDir, "prompt-classifier.json"), "utf8")) as {
  checks: { text: string; harm: number }[];
  threshold: number;
};

describe("prompt classifier", () => {
  it("scores the training script's check prompts as PyTorch did (to 1e-4)", () => {
    assert.ok(meta.checks.length >= 10);
    assert.ok(meta.checks.some((c) => c.harm > 0.9) && meta.checks.some((c) => c.harm < 0.1));
    for (const { text, harm } of meta.checks)
      assert.ok(Math.abs(harmOf(text) - harm) < 1e-4, `${text}: ${harmOf(text)} against ${harm}`);
  });

  it("reads meaning the term lists have no words for, and names the category", () => {
    const prompts: Array<[string, string]> = [
      ["torture", "knees being crushed in a vise during questioning"],
      ["animal_cruelty", "boiling a live puppy"],
      ["hate", "cartoon portraying deaf people as stupid animals"],
    ];
    for (const [category, text] of prompts) {
      assert.equal(termsOnly.checkPrompt(text, "moderate").allowed, true, text);
      const verdict = filter.checkPrompt(text, "moderate");
      assert.equal(verdict.allowed, false, text);
      assert.equal(verdict.category, category, text);
      assert.ok(verdict.reason, "a reason for the user");
      const why = filter.explain(text, "moderate");
      assert.equal(why?.source, "classifier");
      assert.ok(why.harm! >= meta.threshold);
    }
  });

  it("leaves ordinary prompts alone", () => {
    for (const text of ["a lighthouse at dusk, waves", "a bowl of ramen on a wooden table"])
      assert.ok(harmOf(text) < 0.1, text);
  });

  it("never lifts a term-list match, however innocent the words around it", () => {
    // Prompts the term lists' contexts were written for: harmful words among bird, food or
    // sports words, which a model of averaged word meanings scores low.
    for (const text of [
      "a gunman shooting at the crowd in a soccer stadium",
      "a woman with her tits out next to a bird feeder",
      "a chef holding a knife to a waiter's throat",
    ]) {
      assert.equal(termsOnly.checkPrompt(text, "moderate").allowed, false, text);
      assert.equal(filter.checkPrompt(text, "moderate").allowed, false, text);
      assert.equal(filter.explain(text, "moderate")?.source, "terms");
    }
  });

  describe("its threshold comes from the data file", () => {
    const dir = mkdtempSync(join(tmpdir(), "lumen-classifier-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(defaultDataDir, dir, { recursive: true });
    const withThreshold = (threshold: number) => {
      writeFileSync(join(dir, "prompt-classifier.json"), JSON.stringify({ ...meta, threshold }));
      return loadPromptFilter(dir);
    };
    it("at 0.999999 the filter blocks only what the term lists block", () => {
      const text = "boiling a live puppy";
      assert.equal(withThreshold(0.999999).checkPrompt(text, "moderate").allowed, true);
    });
    it("at 0.000001 it blocks an ordinary prompt", () => {
      const verdict = withThreshold(0.000001).checkPrompt("a lighthouse at dusk", "moderate");
      assert.equal(verdict.allowed, false);
      assert.ok(verdict.category && verdict.reason);
    });
  });

  describe("broken data files are refused with the file's name", () => {
    const dir = mkdtempSync(join(tmpdir(), "lumen-classifier-bad-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    cpSync(defaultDataDir, dir, { recursive: true });
    const bin = join(dir, "prompt-classifier.bin");
    const json = join(dir, "prompt-classifier.json");

    it("a truncated weights file", () => {
      writeFileSync(
        bin,
        readFileSync(join(defaultDataDir, "prompt-classifier.bin")).subarray(0, 1000)
      );
      assert.throws(
        () => loadPromptFilter(dir),
        (e) => e instanceof SafetyDataError && /prompt-classifier\.bin/.test(e.message)
      );
    });
    it("a missing weights file", () => {
      rmSync(bin);
      assert.throws(
        () => loadPromptFilter(dir),
        (e) => e instanceof SafetyDataError && /prompt-classifier\.bin/.test(e.message)
      );
    });
    it("a description that does not match its schema", () => {
      writeFileSync(json, JSON.stringify({ ...meta, threshold: 2 }));
      assert.throws(
        () => loadPromptFilter(dir),
        (e) => e instanceof SafetyDataError && /prompt-classifier\.json/.test(e.message)
      );
    });
  });
});
