// Stable Diffusion XL and SDXL-Turbo: two CLIP text encoders whose penultimate hidden states are
// concatenated, plus the second one's pooled embedding and the image-size "time ids" as extra
// UNet inputs (micro-conditioning).
import { ModelError } from "../errors";
import { floatTensor } from "../tensors";
import { openClipEncoder, runClipEncoder, type OutputChoice } from "./clip-text";
import { repeatRows, stackRows, zerosLike } from "./conditioning";
import type { Conditioning, ModelFamily } from "./types";
import { decodeWithVae } from "./vae";

// A widely published least-squares fit of SDXL's VAE latents to their decoded colours.
const SDXL_LATENT_RGB = {
  weights: [
    [0.1826, 0.2116, 0.2171],
    [-0.1267, -0.0021, 0.0534],
    [0.0538, 0.0556, -0.0181],
    [-0.1583, -0.1246, -0.1094],
  ],
  bias: [0.5542, 0.4913, 0.4995],
};

/** The highest `hidden_states.N` output minus one: the penultimate layer SDXL conditions on. */
export function penultimateHiddenState(component: string, outputs: readonly string[]): string {
  const layers = outputs
    .map((n) => /^hidden_states\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]));
  if (layers.length < 2) {
    throw new ModelError(
      `${component}: SDXL needs hidden_states.N outputs; found [${outputs.join(", ")}]`
    );
  }
  return `hidden_states.${Math.max(...layers) - 1}`;
}

const penultimate: OutputChoice = (component, outputs) => ({
  hidden: penultimateHiddenState(component, outputs),
});
const penultimateAndPooled: OutputChoice = (component, outputs) => {
  if (!outputs.includes("text_embeds"))
    throw new ModelError(`${component}: SDXL needs a text_embeds output`);
  return { hidden: penultimateHiddenState(component, outputs), pooled: "text_embeds" };
};

const encodePrompt: ModelFamily["encodePrompt"] = async (
  model,
  text,
  timings
): Promise<Conditioning> => {
  const parts = [];
  for (const enc of model.encoders) parts.push(await runClipEncoder(enc, text, timings));
  // Both encoders' hidden states, concatenated along the feature axis.
  const seq = parts[0].seq;
  const dim = parts.reduce((a, p) => a + p.dim, 0);
  const hidden = new Float32Array(seq * dim);
  for (let s = 0; s < seq; s++) {
    let offset = s * dim;
    for (const p of parts) {
      hidden.set(p.hidden.subarray(s * p.dim, (s + 1) * p.dim), offset);
      offset += p.dim;
    }
  }
  const pooled = parts[1].pooled!;
  return {
    encoder_hidden_states: { data: hidden, dims: [seq, dim] },
    text_embeds: { data: pooled, dims: [pooled.length] },
  };
};

export const sdxl: ModelFamily = {
  name: "sdxl",
  // optimum's ORT pipelines, and `optimum-cli export onnx` (which keeps the PyTorch pipeline's
  // class); image-to-image exports have the same components.
  pipelineClasses: [
    "ORTStableDiffusionXLPipeline",
    "StableDiffusionXLPipeline",
    "ORTStableDiffusionXLImg2ImgPipeline",
    "StableDiffusionXLImg2ImgPipeline",
  ],
  components: ["unet", "vae_decoder", "text_encoder", "text_encoder_2"],
  tokenizers: ["tokenizer", "tokenizer_2"],
  denoiserInputs: ["sample", "timestep", "encoder_hidden_states", "text_embeds", "time_ids"],
  requestMultiple: 64,
  vaeScalingFactor: 0.13025,
  latentRgb: SDXL_LATENT_RGB,
  // SDXL-Turbo was distilled at 512², SDXL itself trained at 1024².
  defaults: (fewStep) =>
    fewStep
      ? { steps: 1, guidance: 0, width: 512, height: 512 }
      : { steps: 30, guidance: 5, width: 1024, height: 1024 },
  openEncoders: async (ctx) => [
    await openClipEncoder(ctx, "text_encoder", "tokenizer", penultimate),
    await openClipEncoder(ctx, "text_encoder_2", "tokenizer_2", penultimateAndPooled),
  ],
  encodePrompt,
  // diffusers' force_zeros_for_empty_prompt (default true): no negative prompt → zero conditioning.
  negativeConditioning: async (model, text, positive, timings) =>
    text.trim() === "" && model.index.force_zeros_for_empty_prompt !== false
      ? zerosLike(positive)
      : encodePrompt(model, text, timings),
  denoiserFeeds(model, rows, width, height) {
    // Original size, crop offset and target size, as the pipeline passes them for a plain generation.
    const timeIds = repeatRows(
      Float32Array.from([height, width, 0, 0, height, width]),
      rows.length
    );
    return {
      ...stackRows(model.floatType, rows),
      time_ids: floatTensor(model.floatType, timeIds, [rows.length, 6]),
    };
  },
  decode: decodeWithVae,
};
