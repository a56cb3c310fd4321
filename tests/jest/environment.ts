// Jest runs each test file in its own realm (a vm context) with its own typed-array classes.
// onnxruntime-node checks tensor data with `instanceof Float32Array` and friends against the Node
// realm's classes, so a Float32Array made inside a test fails ("A float32 tensor's data must be
// type of function Float32Array()"). Sharing the Node realm's constructors makes both sides agree;
// jest-environment-node already shares ArrayBuffer, Uint8Array and Buffer for the same reason.
//
// Errors made by Node itself (a socket hang up in node:http, a failed fs call) belong to the Node
// realm too, so `e instanceof Error` is false for them inside a test file's realm, and code that
// sorts errors that way misreads them (the AWS SDK wraps such an error in a new one that keeps only
// its text, losing the name and code the S3 blob store goes by). The test realm's Error and its
// built-in subclasses also recognise their Node-realm counterparts' instances.
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

type Constructor = abstract new (...args: never[]) => unknown;
const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

export default class NodeRealmEnvironment extends TestEnvironment {
  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    for (const name of SHARED) this.global[name] = globalThis[name] as never;

    const sandbox = this.global as unknown as Record<string, Constructor | undefined>;
    const host = globalThis as unknown as Record<string, Constructor | undefined>;
    // Defined on Error, it is inherited by TypeError, RangeError, … and by the tests' own Error
    // subclasses; only the realm's own built-ins (same name on both sides) also accept Node's.
    Object.defineProperty(sandbox.Error!, Symbol.hasInstance, {
      configurable: true,
      value(this: Constructor, value: unknown): boolean {
        if (ordinaryHasInstance.call(this, value)) return true;
        const name = (this as { name?: string }).name ?? "";
        const counterpart = host[name];
        return (
          sandbox[name] === this &&
          counterpart !== undefined &&
          counterpart !== this &&
          ordinaryHasInstance.call(counterpart, value)
        );
      },
    });
  }
}
