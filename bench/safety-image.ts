/**
 * Times the image checker: model load, first image, then the median of later images.
 *   node --import tsx bench/safety-image.ts [runs] [size]
 */
import { loadImageChecker } from "../backend/safety";

const runs = Number(process.argv[2] ?? 20);
const size = Number(process.argv[3] ?? 512);
const rssMiB = () => (process.memoryUsage().rss / 2 ** 20).toFixed(0);

const pixels = new Uint8Array(size * size * 3).map((_, i) => (i * 31) % 251);
const image = { width: size, height: size, pixels };
const rssBefore = rssMiB();

let t = performance.now();
const checker = await loadImageChecker();
const loadMs = performance.now() - t;

t = performance.now();
const first = await checker.checkImage(image, "moderate");
const firstMs = performance.now() - t;

const times: number[] = [];
for (let i = 0; i < runs; i++) {
  t = performance.now();
  await checker.checkImage(image, "moderate");
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const pct = (p: number) =>
  times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);

console.log(`image checker, ${size}×${size} RGB input resized to 224×224, ${runs} timed runs`);
console.log(`model load          ${loadMs.toFixed(0)} ms`);
console.log(`first image         ${firstMs.toFixed(0)} ms`);
console.log(`per image, median   ${pct(0.5)} ms   (p90 ${pct(0.9)} ms)`);
console.log(`resident memory     ${rssBefore} MiB before load → ${rssMiB()} MiB after`);
console.log(`scores of the test pattern: ${JSON.stringify(first.scores)}`);
