// Checks an exported lumen-landscapes folder with the runtime libraries the engine uses:
// @huggingface/tokenizers gives the same ids as the Python tokenizer, and onnxruntime-node gives
// the same outputs as PyTorch to 1e-3 of their largest magnitude (reference values in <runs>/check.json,
// written by export.py); exits 1 on any mismatch.
//   node models/training/landscapes/check_onnx.mjs [modelDir] [runsDir]
import fs from "node:fs";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import ort from "onnxruntime-node";

const dir = process.argv[2] ?? "models/lumen-landscapes";
const runs = process.argv[3] ?? "models/training/runs";
const ref = JSON.parse(fs.readFileSync(path.join(runs, "check.json"), "utf8"));
const tj = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer/tokenizer.json"), "utf8"));
const tc = JSON.parse(fs.readFileSync(path.join(dir, "tokenizer/tokenizer_config.json"), "utf8"));
const z = JSON.parse(
  fs.readFileSync(path.join(dir, "vae_decoder/config.json"), "utf8")
).latent_channels;
const tok = new Tokenizer(tj, tc);
const id = (t) => tok.token_to_id(t);
let bad = 0;
for (const c of ref.tokenizer_cases) {
  const enc = tok.encode(c.text, { add_special_tokens: false }).ids;
  const max = tc.model_max_length;
  const ids = [id(tc.bos_token), ...enc.slice(0, max - 2), id(tc.eos_token)];
  while (ids.length < max) ids.push(id(tc.pad_token));
  const ok =
    JSON.stringify(ids) === JSON.stringify(c.ids) &&
    JSON.stringify(enc) === JSON.stringify(c.encode);
  if (!ok) {
    bad++;
    console.log("MISMATCH", JSON.stringify(c.text), enc, c.encode);
  }
}
console.log(
  `tokenizer: ${ref.tokenizer_cases.length - bad}/${ref.tokenizer_cases.length} cases match`
);

// The largest difference from PyTorch's values, relative to their largest magnitude; over 1e-3 fails.
const maxDiff = (a, b) => {
  const d = Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / Math.max(...b.map(Math.abs));
  if (!(d <= 1e-3)) bad++;
  return d;
};
const te = await ort.InferenceSession.create(path.join(dir, "text_encoder/model.onnx"));
const ids = ref.input_ids.flat();
const teOut = await te.run({
  input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [
    ref.input_ids.length,
    ref.input_ids[0].length,
  ]),
});
const h = teOut.last_hidden_state;
const hsum = h.data.reduce((s, x) => s + x, 0);
console.log(
  "text_encoder",
  h.dims,
  "sum",
  hsum.toFixed(3),
  "ref",
  ref.last_hidden_state_sum.toFixed(3),
  "relative maxdiff first",
  maxDiff(Array.from(h.data.slice(0, 8)), ref.last_hidden_state_first).toExponential(2)
);
const unet = await ort.InferenceSession.create(path.join(dir, "unet/model.onnx"));
const x = new ort.Tensor("float32", Float32Array.from(ref.unet_sample_seed0), [2, z, 16, 16]);
const t = new ort.Tensor("float32", Float32Array.from(ref.unet_timestep), [2]);
const u = (await unet.run({ sample: x, timestep: t, encoder_hidden_states: h })).out_sample;
console.log(
  "unet",
  u.dims,
  "abs sum",
  u.data.reduce((s, v) => s + Math.abs(v), 0).toFixed(3),
  "ref",
  ref.unet_out_abs_sum.toFixed(3),
  "relative maxdiff first",
  maxDiff(Array.from(u.data.slice(0, 16)), ref.unet_out_first).toExponential(2)
);
const vae = await ort.InferenceSession.create(path.join(dir, "vae_decoder/model.onnx"));
const img = (
  await vae.run({
    latent_sample: new ort.Tensor("float32", Float32Array.from(ref.vae_latent), [1, z, 16, 16]),
  })
).sample;
console.log(
  "vae_decoder",
  img.dims,
  "sum",
  img.data.reduce((s, v) => s + v, 0).toFixed(3),
  "ref",
  ref.vae_out_sum.toFixed(3),
  "relative maxdiff first",
  maxDiff(Array.from(img.data.slice(0, 16)), ref.vae_out_first).toExponential(2)
);
// timing: one UNet step at batch 1 and 2 (CFG), and 64x64 latents (dynamic size)
for (const b of [1, 2]) {
  const xs = new ort.Tensor("float32", new Float32Array(b * z * 16 * 16).fill(0.1), [b, z, 16, 16]);
  const ts = new ort.Tensor("float32", new Float32Array(b).fill(500), [b]);
  const hs = new ort.Tensor("float32", h.data.slice(0, b * h.dims[1] * h.dims[2]), [
    b,
    h.dims[1],
    h.dims[2],
  ]);
  const times = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await unet.run({ sample: xs, timestep: ts, encoder_hidden_states: hs });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`unet step batch ${b}: median ${times[10].toFixed(2)} ms`);
}
const big = await unet.run({
  sample: new ort.Tensor("float32", new Float32Array(z * 24 * 32).fill(0.1), [1, z, 24, 32]),
  timestep: new ort.Tensor("float32", Float32Array.from([500]), [1]),
  encoder_hidden_states: new ort.Tensor("float32", h.data.slice(0, h.dims[1] * h.dims[2]), [
    1,
    h.dims[1],
    h.dims[2],
  ]),
});
console.log("unet dynamic size", big.out_sample.dims);
process.exit(bad ? 1 : 0);
