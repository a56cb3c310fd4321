// What Content Credentials cost per file: signing a generated picture, signing a converted copy
// (with the original as ingredient), and reading one back, at a few sizes.
//   node --import tsx bench/c2pa.ts [runs]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ContentCredentials,
  encodeWithProvenance,
  loadSigningCredentials,
  readContentCredentials,
  transcode,
} from "../backend/provenance";

const runs = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "lumen-bench-c2pa-"));
const cc = await ContentCredentials.create(await loadSigningCredentials({ dataDir: dir }));
const info = {
  prompt: "a lake",
  negativePrompt: "",
  steps: 8,
  sampler: "euler",
  guidance: 7,
  seed: 1,
  width: 0,
  height: 0,
  model: "lumen-landscapes",
};
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

console.log(
  `| size | encode PNG (ms) | + sign (ms) | JPEG copy + sign (ms) | read + validate (ms) | manifest bytes |\n|---|---|---|---|---|---|`
);
for (const side of [128, 512, 1024]) {
  const pixels = new Uint8Array(side * side * 3).map((_, i) => (i * 31) % 256);
  const image = { width: side, height: side, pixels };
  const meta = { ...info, width: side, height: side };
  const plain = await time(() => encodeWithProvenance(image, meta));
  const signed = await time(() => encodeWithProvenance(image, meta, { contentCredentials: cc }));
  const png = await encodeWithProvenance(image, meta, { contentCredentials: cc });
  const copy = await time(() => transcode(png, { format: "jpeg", contentCredentials: cc }));
  const read = await time(() => readContentCredentials(png));
  const overhead = png.length - (await encodeWithProvenance(image, meta)).length;
  console.log(
    `| ${side}² | ${plain.toFixed(0)} | ${(signed - plain).toFixed(0)} | ${copy.toFixed(0)} | ${read.toFixed(0)} | ${overhead} |`
  );
}
rmSync(dir, { recursive: true, force: true });
