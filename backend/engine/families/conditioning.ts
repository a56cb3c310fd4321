// Conditioning rows → denoiser tensors, shared by the families: every named input is stacked
// along a new batch axis in row order.
import type * as ort from "onnxruntime-node";
import { floatTensor, type FloatType } from "../tensors";
import type { Conditioning } from "./types";

export function stackRows(floatType: FloatType, rows: Conditioning[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of Object.keys(rows[0])) {
    const { dims } = rows[0][name];
    const size = rows[0][name].data.length;
    const data = new Float32Array(rows.length * size);
    rows.forEach((r, i) => data.set(r[name].data, i * size));
    feeds[name] = floatTensor(floatType, data, [rows.length, ...dims]);
  }
  return feeds;
}

/** The same inputs, all zeros (SDXL's unconditional rows for an empty negative prompt). */
export function zerosLike(c: Conditioning): Conditioning {
  return Object.fromEntries(
    Object.entries(c).map(([k, r]) => [k, { data: new Float32Array(r.data.length), dims: r.dims }])
  );
}

/** The same row repeated `rows` times, flat. */
export function repeatRows(data: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(data.length * rows);
  for (let i = 0; i < rows; i++) out.set(data, i * data.length);
  return out;
}
