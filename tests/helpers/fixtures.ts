import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadModel, type LoadedModel, type RgbImage } from "../../backend/engine";

export const fixturesDir = join(import.meta.dirname, "..", "fixtures");
export const fixtureModel = (name: "sd15" | "sd21" | "sdxl") => join(fixturesDir, name);

export interface ReferenceCase {
  file: string;
  model: "sd15" | "sd21" | "sdxl";
  prompt: string;
  negativePrompt: string | null;
  inputIds: number[][];
  negativeInputIds?: number[][];
  inputIds2?: number[][];
  negativeInputIds2?: number[][];
  scheduler: "euler" | "euler_a" | "ddim" | "lcm";
  steps: number;
  guidance: number;
  width: number;
  height: number;
  batch: number;
  timesteps: number[];
  initLatents: number[];
  stepNoise?: number[][];
  finalLatents: number[];
  image: number[];
  tolerance: number;
}

export function referenceCases(): ReferenceCase[] {
  const dir = join(fixturesDir, "reference");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ file: f, ...JSON.parse(readFileSync(join(dir, f), "utf8")) }));
}

const cache = new Map<string, Promise<LoadedModel>>();
/** Fixture models are opened once per test file and shared by its tests. */
export function openFixture(name: "sd15" | "sd21" | "sdxl"): Promise<LoadedModel> {
  if (!cache.has(name))
    cache.set(name, loadModel(fixtureModel(name), { device: "cpu", threads: 1 }));
  return cache.get(name)!;
}

export async function releaseFixtures(): Promise<void> {
  for (const m of cache.values()) await (await m).release();
  cache.clear();
}

/** Mean absolute difference per channel value of two images of one size, in 8-bit levels. */
export function pixelDistance(a: RgbImage, b: RgbImage): number {
  if (a.pixels.length !== b.pixels.length)
    throw new Error(`sizes differ: ${a.width}×${a.height} and ${b.width}×${b.height}`);
  let sum = 0;
  for (let i = 0; i < a.pixels.length; i++) sum += Math.abs(a.pixels[i] - b.pixels[i]);
  return sum / a.pixels.length;
}

/** max|a − b| / max|b|: the fixture script's measure of how far a tensor is from its reference. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / Math.max(scale, 1e-30);
}
