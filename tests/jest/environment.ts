// Jest runs each test file in its own realm (a vm context) with its own typed-array classes.
// onnxruntime-node checks tensor data with `instanceof Float32Array` and friends against the Node
// realm's classes, so a Float32Array made inside a test fails ("A float32 tensor's data must be
// type of function Float32Array()"). Sharing the Node realm's constructors makes both sides agree;
// jest-environment-node already shares ArrayBuffer, Uint8Array and Buffer for the same reason.
import { TestEnvironment } from "jest-environment-node";

const SHARED = [
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
  "Int8Array",
  "Uint8Array",
  "Uint8ClampedArray",
  "Int16Array",
  "Uint16Array",
  "Int32Array",
  "Uint32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
] as const;

export default class NodeRealmEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    for (const name of SHARED) this.global[name] = globalThis[name] as never;
  }
}
