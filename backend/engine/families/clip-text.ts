// CLIP text encoders as SD-family exports ship them: `input_ids` (int32 or int64) in, hidden
// states (and, for some, a pooled embedding) out; each with its own tokenizer folder.
import { join } from "node:path";
import { ModelError } from "../errors";
import { requireInputs } from "../session-specs";
import { intTensor, toFloat32 } from "../tensors";
import type { Timings } from "../timings";
import { loadTokenizer } from "../tokenizer";
import type { LoadContext, TextEncoder } from "./types";

/** Which outputs of an encoder the family reads, chosen from the names the export declares. */
export type OutputChoice = (
  component: string,
  outputs: readonly string[]
) => { hidden: string; pooled?: string };

export async function openClipEncoder(
  ctx: LoadContext,
  component: string,
  tokenizerDir: string,
  choose: OutputChoice
): Promise<TextEncoder> {
  const session = await ctx.open(component);
  const ids = requireInputs(component, session, ["input_ids"]).get("input_ids")!;
  if (ids.type !== "int32" && ids.type !== "int64") {
    throw new ModelError(`${component}: input_ids is ${ids.type}; expected int32 or int64`);
  }
  const { hidden, pooled } = choose(component, session.outputNames);
  const tokenizer = await loadTokenizer(join(ctx.dir, tokenizerDir), tokenizerDir);
  return { session, tokenizer, idsType: ids.type, hiddenOutput: hidden, pooledOutput: pooled };
}

/** `last_hidden_state`, as SD 1.x/2.x pipelines condition on. */
export const lastHiddenState: OutputChoice = (component, outputs) => {
  if (!outputs.includes("last_hidden_state")) {
    throw new ModelError(
      `${component}: no last_hidden_state output; found [${outputs.join(", ")}]`
    );
  }
  return { hidden: "last_hidden_state" };
};

/** One prompt through one encoder: hidden states [seq, dim] and the pooled row if it has one. */
export async function runClipEncoder(
  enc: TextEncoder,
  text: string,
  timings: Timings
): Promise<{ hidden: Float32Array; seq: number; dim: number; pooled?: Float32Array }> {
  const ids = timings.measure("tokenize", () => enc.tokenizer.encode(text));
  const fetches = enc.pooledOutput ? [enc.hiddenOutput, enc.pooledOutput] : [enc.hiddenOutput];
  const out = await timings.run(
    "text_encoder",
    enc.session,
    { input_ids: intTensor(enc.idsType, ids, [1, ids.length]) },
    fetches
  );
  const hidden = out[enc.hiddenOutput];
  return {
    hidden: toFloat32(hidden),
    seq: hidden.dims[1],
    dim: hidden.dims[2],
    pooled: enc.pooledOutput ? toFloat32(out[enc.pooledOutput]) : undefined,
  };
}
