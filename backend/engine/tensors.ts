// Converts between the engine's Float32Array math and whatever element types a model's
// inputs and outputs declare (float32 / float16, int32 / int64).
import { Float16Array } from "@petamoriken/float16";
import * as ort from "onnxruntime-node";

export type FloatType = "float32" | "float16";

export function floatTensor(
  type: FloatType,
  data: Float32Array,
  dims: readonly number[]
): ort.Tensor {
  if (type === "float32") return new ort.Tensor("float32", data, dims);
  const half = Float16Array.from(data);
  return new ort.Tensor(
    "float16",
    new Uint16Array(half.buffer, half.byteOffset, half.length),
    dims
  );
}

export function intTensor(
  type: "int32" | "int64",
  values: number[],
  dims: readonly number[]
): ort.Tensor {
  return type === "int32"
    ? new ort.Tensor("int32", Int32Array.from(values), dims)
    : new ort.Tensor(
        "int64",
        BigInt64Array.from(values, (v) => BigInt(v)),
        dims
      );
}

/** Float32 copy of a float16 or float32 output tensor. */
export function toFloat32(t: ort.Tensor): Float32Array {
  if (t.type === "float32") return t.data as Float32Array;
  if (t.type === "float16") {
    const bits = t.data as Uint16Array;
    return Float32Array.from(new Float16Array(bits.buffer, bits.byteOffset, bits.length));
  }
  throw new TypeError(`expected a float tensor, got ${t.type}`);
}
