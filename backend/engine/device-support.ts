// Which execution providers can be expected to run a model, from the operators its graphs use.
// Standard ONNX operators run everywhere. Exports optimised for one runtime also use ONNX
// Runtime's own operators (domain com.microsoft): GroupNorm has only CUDA and DirectML kernels,
// NhwcConv only CUDA ones, so a graph that uses them cannot run on the CPU or WebGPU providers. ONNX Runtime runs a node
// that a GPU provider lacks on the CPU provider instead, so a GPU provider runs an operator that it
// or the CPU provider implements.
//
// The kernel lists are ONNX Runtime's registrations (contrib_ops/{cpu,cuda,webgpu}/*_kernels.cc,
// and DirectML's operator registration), trimmed to what diffusion exports use and quantisation adds.
import type { Provider } from "./providers";

const CPU = new Set([
  "Attention",
  "MultiHeadAttention",
  "GroupQueryAttention",
  "SparseAttention",
  "DecoderMaskedMultiHeadAttention",
  "BiasGelu",
  "FastGelu",
  "Gelu",
  "QuickGelu",
  "SkipLayerNormalization",
  "SkipSimplifiedLayerNormalization",
  "EmbedLayerNormalization",
  "FusedConv",
  "FusedGemm",
  "FusedMatMul",
  "TransposeMatMul",
  "RotaryEmbedding",
  "GridSample",
  "Range",
  "Pad",
  "Trilu",
  "ExpandDims",
  "GatherND",
  "NhwcMaxPool",
  "MatMulNBits",
  "MatMulBnb4",
  "MatMulFpQ4",
  "GatherBlockQuantized",
  "MatMulInteger16",
  "MatMulIntegerToFloat",
  "DynamicQuantizeMatMul",
  "QuantizeLinear",
  "DequantizeLinear",
  "QAttention",
  "QGemm",
  "QEmbedLayerNormalization",
  "QLinearConv",
  "QLinearAdd",
  "QLinearMul",
  "QLinearSigmoid",
  "QLinearLeakyRelu",
  "QLinearSoftmax",
  "QLinearConcat",
  "QLinearAveragePool",
  "QLinearGlobalAveragePool",
  "QLinearWhere",
]);

const GPU: Record<Exclude<Provider, "cpu">, Set<string>> = {
  cuda: new Set([
    ...CPU,
    "GroupNorm",
    "SkipGroupNorm",
    "NhwcConv",
    "BiasSplitGelu",
    "BiasAdd",
    "BiasSoftmax",
    "BiasDropout",
    "PackedAttention",
    "PackedMultiHeadAttention",
    "DecoderAttention",
    "RemovePadding",
    "RestorePadding",
  ]),
  webgpu: new Set([...CPU, "BiasAdd", "BiasSplitGelu"]),
  // DirectML's own registrations of contrib operators (DmlExecutionProvider's OperatorRegistration.cpp).
  dml: new Set([
    ...CPU,
    "GroupNorm",
    "BiasSplitGelu",
    "BiasAdd",
    "QuickGelu",
    "Gelu",
    "BiasGelu",
    "FusedMatMul",
    "Attention",
    "MultiHeadAttention",
    "SkipLayerNormalization",
    "EmbedLayerNormalization",
    "RotaryEmbedding",
  ]),
  // CoreML runs standard ONNX operators only; ONNX Runtime's own ones fall to the CPU provider.
  coreml: CPU,
};

/** Providers (of cpu, cuda, webgpu, dml, coreml) with a kernel for every operator ("domain:op"). */
export function expectedDevices(operators: Iterable<string>): Provider[] {
  const own = [...operators].filter(
    (o) => !o.startsWith("ai.onnx:") && !o.startsWith("ai.onnx.ml:")
  );
  const runs = (kernels: Set<string>) =>
    own.every((o) => {
      const [domain, op] = o.split(":");
      return domain === "com.microsoft" && kernels.has(op);
    });
  const out: Provider[] = [];
  if (runs(CPU)) out.push("cpu");
  if (runs(GPU.cuda)) out.push("cuda");
  if (runs(GPU.webgpu)) out.push("webgpu");
  if (runs(GPU.dml)) out.push("dml");
  if (runs(GPU.coreml)) out.push("coreml");
  return out;
}
