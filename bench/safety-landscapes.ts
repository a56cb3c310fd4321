/**
 * False alarms of the image checker on the embedded model's own pictures: every picture of
 * lumen-landscapes is an empty landscape, so every block is a false positive. Prints, for each
 * sampling setting, how many of the pictures each policy level would withhold, and the highest
 * Porn + Hentai score.
 *   node --import tsx bench/safety-landscapes.ts [batches of 8 seeds per prompt, default 1]
 * LUMEN_MODEL=path/to/model screens another model (a candidate from models/training) the same way.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { generate, loadModel, resolveModelDir, type GenerateRequest } from "../backend/engine";
import { loadImageChecker } from "../backend/safety";
import { tallyHeader, WithheldTally } from "./withheld-tally";

const batches = Number(process.argv[2] ?? 1);
const seeds = 8 * batches;
// The model card's sample prompts, and a few more with warm light and plain photo words.
const prompts = [
  ...(JSON.parse(
    readFileSync(
      join(import.meta.dirname, "..", "models", "training", "landscapes", "sample_prompts.json"),
      "utf8"
    )
  ) as string[]),
  "pink sky over a calm lake at dawn",
  "warm evening light on the plains, sunset",
  "a photo of a beautiful landscape, 4k",
  "a lake between hills at night with the moon and stars",
];
const settings: Array<[string, Partial<GenerateRequest>]> = [
  ["model defaults", {}],
  ["guidance 10 from 0.75", { guidance: 10, guidanceStart: 0.75 }],
  ["guidance 10 from 0.875 (the earlier default)", { guidance: 10, guidanceStart: 0.875 }],
  ["guidance 2.5 on every step", { guidance: 2.5, guidanceStart: 0 }],
];

const model = await loadModel(resolveModelDir(undefined), { device: "cpu" });
const checker = await loadImageChecker();
console.log(
  `${model.dir}: ${prompts.length} prompts × ${seeds} seeds at the native 128×128, as the service checks them (before upscaling)\n`
);
console.log(tallyHeader("setting"));
for (const [name, extra] of settings) {
  const tally = new WithheldTally(checker);
  for (const prompt of prompts) {
    for (let b = 0; b < batches; b++) {
      const { images } = await generate(model, { prompt, seed: 1 + 8 * b, n: 8, ...extra });
      for (const image of images) await tally.add(image);
    }
  }
  console.log(tally.row(name));
}
await model.release();
