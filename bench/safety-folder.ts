/**
 * What the image checker withholds from folders of pictures (PNG, JPEG, WebP), at each policy
 * level, as the service checks generated images. For screening picture sets that should all pass,
 * such as an autoencoder's reconstructions of landscape renders
 * (models/training/landscapes/vaecheck.py --pngs DIR):
 *   node --import tsx bench/safety-folder.ts DIR/renders DIR/run-a DIR/run-b
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { loadImageChecker, type ImageInput } from "../backend/safety";
import { tallyHeader, WithheldTally } from "./withheld-tally";

const folders = process.argv.slice(2);
if (folders.length === 0) {
  console.error("usage: node --import tsx bench/safety-folder.ts FOLDER...");
  process.exit(2);
}

async function readImage(path: string): Promise<ImageInput> {
  const { data, info } = await sharp(path)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, pixels: new Uint8Array(data) };
}

const checker = await loadImageChecker();
console.log(tallyHeader("folder"));
for (const folder of folders) {
  const tally = new WithheldTally(checker);
  for (const file of readdirSync(folder).filter((f) => /\.(png|jpe?g|webp)$/i.test(f))) {
    await tally.add(await readImage(join(folder, file)));
  }
  console.log(tally.row(folder));
}
