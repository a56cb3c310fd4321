// What an ONNX Runtime session declares about its inputs, and the checks every loader makes on
// them, so a component that does not fit is refused by name before anything runs.
import type * as ort from "onnxruntime-node";
import { ModelError } from "./errors";
import type { FloatType } from "./tensors";

export interface InputSpec {
  name: string;
  type: string;
  shape: ReadonlyArray<number | string>;
}

export function inputSpecs(session: ort.InferenceSession): InputSpec[] {
  return session.inputMetadata.map((m) => ({
    name: m.name,
    type: m.isTensor ? m.type : "non-tensor",
    shape: m.isTensor ? m.shape : [],
  }));
}

/** The session's inputs by name; they must be exactly `names`, in any order. */
export function requireInputs(
  component: string,
  session: ort.InferenceSession,
  names: readonly string[]
): Map<string, InputSpec> {
  const specs = new Map(inputSpecs(session).map((s) => [s.name, s]));
  const missing = names.filter((n) => !specs.has(n));
  const extra = [...specs.keys()].filter((n) => !names.includes(n));
  if (missing.length || extra.length) {
    throw new ModelError(
      `${component}: unexpected inputs [${[...specs.keys()].join(", ")}]; expected [${names.join(", ")}]`
    );
  }
  return specs;
}

export function floatTypeOf(component: string, spec: InputSpec): FloatType {
  if (spec.type === "float32" || spec.type === "float16") return spec.type;
  throw new ModelError(
    `${component}: input ${spec.name} is ${spec.type}; expected float32 or float16`
  );
}
