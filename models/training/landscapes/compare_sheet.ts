/**
 * A side-by-side sheet of two versions of a model on the same prompts and seeds, drawn by the
 * engine exactly as the service draws them (default steps and guidance, the native size, a Lanczos
 * resize to the cell size). One row per prompt: the old model's seeds, then the new model's.
 *
 *   git archive <old commit> models/lumen-landscapes | tar -x -C /tmp/old
 *   node --import tsx models/training/landscapes/compare_sheet.ts --old /tmp/old/models/lumen-landscapes \
 *     --new models/lumen-landscapes --out docs/images/lumen-landscapes-v1-v2.png
 *
 * Options: --prompts FILE (a JSON list; default sample_prompts.json), --rows N (default 8),
 * --seeds A,B (default 0,1), --cell PX (default 192: a cell's longer side), --labels "OLD|NEW",
 * --size WxH (the requested size, e.g. 1792x1024 for a wide slide; default the model's own).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { encodeImage, generate, loadModel } from "../../../backend/engine";

const { values: flags } = parseArgs({
  options: {
    old: { type: "string" },
    new: { type: "string" },
    out: { type: "string" },
    prompts: { type: "string", default: join(import.meta.dirname, "sample_prompts.json") },
    rows: { type: "string", default: "8" },
    seeds: { type: "string", default: "0,1" },
    cell: { type: "string", default: "192" },
    labels: { type: "string", default: "old|new" },
    size: { type: "string" },
  },
});
if (!flags.old || !flags.new || !flags.out) {
  console.error(
    "usage: compare_sheet.ts --old DIR --new DIR --out FILE.png [--rows N] [--seeds A,B]"
  );
  process.exit(2);
}

const prompts = (JSON.parse(readFileSync(flags.prompts, "utf8")) as string[]).slice(
  0,
  Number(flags.rows)
);
const seeds = flags.seeds.split(",").map(Number);
const [width, height] = flags.size ? flags.size.split("x").map(Number) : [];
const aspect = width && height ? width / height : 1;
const cellW = Math.round(Number(flags.cell) * Math.min(1, aspect));
const cellH = Math.round(Number(flags.cell) * Math.min(1, 1 / aspect));
const gap = 8; // between the two models' halves of a row
const header = 28;
const labels = flags.labels.split("|");
const half = seeds.length * cellW;

const tiles: sharp.OverlayOptions[] = [];
for (const [side, dir] of [flags.old, flags.new].entries()) {
  const model = await loadModel(dir, { device: "cpu" });
  for (const [row, prompt] of prompts.entries()) {
    const { images } = await generate(model, {
      prompt,
      seed: seeds[0],
      n: seeds.length,
      ...(width && height ? { width, height } : {}),
    });
    for (const [i, image] of images.entries()) {
      if (i > 0 && seeds[i] !== seeds[0] + i)
        throw new Error(
          "seeds must be consecutive (the engine numbers a batch's seeds from the first)"
        );
      tiles.push({
        input: await encodeImage(image, { width: cellW, height: cellH }),
        left: side * (half + gap) + i * cellW,
        top: header + row * cellH,
      });
    }
    console.log(`${labels[side]}: ${prompt}`);
  }
  await model.release();
}

const sheetWidth = 2 * half + gap;
const label = (text: string, x: number) =>
  `<text x="${x}" y="20" font-family="sans-serif" font-size="16" fill="#222">${text}</text>`;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${sheetWidth}" height="${header}">${label(labels[0], 4)}${label(labels[1], half + gap + 4)}</svg>`;
tiles.push({ input: Buffer.from(svg), left: 0, top: 0 });

await sharp({
  create: {
    width: sheetWidth,
    height: header + prompts.length * cellH,
    channels: 3,
    background: "#ffffff",
  },
})
  .composite(tiles)
  .png({ compressionLevel: 9 })
  .toFile(flags.out);
console.log(
  `wrote ${flags.out}: ${prompts.length} prompts × seeds ${seeds.join(", ")}, ${labels.join(" | ")}`
);
