/**
 * Image checker: nsfwjs MobileNetV2 (weights bundled in the npm package, so it works offline)
 * on TensorFlow.js with the WebAssembly backend. The model is loaded once per process.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import sharp from "sharp";
import type { NSFWJS } from "nsfwjs";
import { decideImage, loadImageThresholds, type ImageVerdict } from "./image-policy";
import type { PolicyLevel } from "./policy";

/** Interleaved 8-bit RGB, row by row: `pixels.length === width * height * 3`. */
export interface ImageInput {
  width: number;
  height: number;
  pixels: Uint8Array;
}

export interface ImageChecker {
  checkImage(image: ImageInput, level: PolicyLevel): Promise<ImageVerdict>;
}

/** MobileNetV2's input size. */
const MODEL_SIZE = 224;

let model: Promise<{ tf: typeof import("@tensorflow/tfjs"); nsfw: NSFWJS }> | undefined;

/** Loads the model on first use (about a second) and reuses it; thresholds come from `dataDir`. */
export async function loadImageChecker(dataDir?: string): Promise<ImageChecker> {
  const thresholds = loadImageThresholds(dataDir);
  model ??= loadModel().catch((err) => {
    model = undefined; // let a later call try again
    throw err;
  });
  const { tf, nsfw } = await model;

  return {
    async checkImage(image, level) {
      const rgb = await resizeForModel(image);
      const input = tf.tensor3d(rgb, [MODEL_SIZE, MODEL_SIZE, 3], "int32");
      try {
        const predictions = await nsfw.classify(input, 5);
        const scores = Object.fromEntries(predictions.map((p) => [p.className, p.probability]));
        return decideImage(scores, level, thresholds);
      } finally {
        input.dispose();
      }
    },
  };
}

async function loadModel() {
  const tf = await import("@tensorflow/tfjs");
  const { setWasmPaths } = await import("@tensorflow/tfjs-backend-wasm");
  // The .wasm files sit next to the package's main file; a path prefix makes it read them from disk.
  const require = createRequire(import.meta.url);
  setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
  await withoutNewProcessListeners(async () => {
    if (!(await tf.setBackend("wasm")))
      throw new Error("TensorFlow.js could not start its WebAssembly backend");
    await tf.ready();
  });

  // A real ESM import: compiled to CommonJS, the 3.5 MB of base64 weights load ten times slower.
  const nsfwjs = await import("nsfwjs");
  const nsfw = await quietly(() => nsfwjs.load("MobileNetV2"));
  return { tf, nsfw };
}

/**
 * The Emscripten glue of the wasm backend adds process-wide "uncaughtException" and
 * "unhandledRejection" listeners that rethrow, which would override the service's own error
 * handling; remove the ones it added.
 */
async function withoutNewProcessListeners(start: () => Promise<void>): Promise<void> {
  const emitter: NodeJS.EventEmitter = process; // plain emitter typing: one code path for both events
  const events = ["uncaughtException", "unhandledRejection"];
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    await start();
  } finally {
    for (const e of events) {
      for (const listener of emitter.listeners(e)) {
        if (!before.get(e)!.has(listener))
          emitter.removeListener(e, listener as (...args: unknown[]) => void);
      }
    }
  }
}

/** nsfwjs announces the model it loads on console.info; keep that out of the service's logs. */
async function quietly<T>(load: () => Promise<T>): Promise<T> {
  const info = console.info;
  console.info = () => {};
  try {
    return await load();
  } finally {
    console.info = info;
  }
}

async function resizeForModel({ width, height, pixels }: ImageInput): Promise<Int32Array> {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}×${height}`);
  }
  if (pixels.length !== width * height * 3) {
    throw new RangeError(
      `expected ${width * height * 3} bytes of RGB for ${width}×${height}, got ${pixels.length}`
    );
  }
  // Squeezed rather than cropped, so nothing near the edges escapes the classifier.
  const resized =
    width === MODEL_SIZE && height === MODEL_SIZE
      ? pixels
      : await sharp(pixels, { raw: { width, height, channels: 3 } })
          .resize(MODEL_SIZE, MODEL_SIZE, { fit: "fill" })
          .raw()
          .toBuffer();
  return Int32Array.from(resized);
}
