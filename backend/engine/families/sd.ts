// Stable Diffusion 1.x / 2.x, SD-Turbo and models built like them (the embedded one): one CLIP
// text encoder whose last hidden state conditions the UNet's cross-attention.
import { openClipEncoder, lastHiddenState, runClipEncoder } from "./clip-text";
import { stackRows } from "./conditioning";
import type { Conditioning, ModelFamily } from "./types";
import { decodeWithVae } from "./vae";

// A widely published least-squares fit of SD's VAE latents to their decoded colours.
const SD_LATENT_RGB = {
  weights: [
    [0.149, 0.1035, 0.104],
    [0.0935, 0.143, 0.0865],
    [-0.079, 0.0945, 0.132],
    [-0.092, -0.1355, -0.2365],
  ],
  bias: [0.5, 0.5, 0.5],
};

const encodePrompt: ModelFamily["encodePrompt"] = async (
  model,
  text,
  timings
): Promise<Conditioning> => {
  const { hidden, seq, dim } = await runClipEncoder(model.encoders[0], text, timings);
  return { encoder_hidden_states: { data: hidden, dims: [seq, dim] } };
};

export const sd: ModelFamily = {
  name: "sd",
  // diffusers' ONNX conversion script, optimum's ORT pipelines, and `optimum-cli export onnx`
  // (which keeps the PyTorch pipeline's class); image-to-image exports have the same components.
  pipelineClasses: [
    "OnnxStableDiffusionPipeline",
    "ORTStableDiffusionPipeline",
    "StableDiffusionPipeline",
    "OnnxStableDiffusionImg2ImgPipeline",
    "ORTStableDiffusionImg2ImgPipeline",
    "StableDiffusionImg2ImgPipeline",
  ],
  components: ["unet", "vae_decoder", "text_encoder"],
  tokenizers: ["tokenizer"],
  denoiserInputs: ["sample", "timestep", "encoder_hidden_states"],
  requestMultiple: 8,
  vaeScalingFactor: 0.18215,
  latentRgb: SD_LATENT_RGB,
  defaults: (fewStep) =>
    fewStep
      ? { steps: 1, guidance: 0, width: 512, height: 512 }
      : { steps: 25, guidance: 7.5, width: 512, height: 512 },
  openEncoders: async (ctx) => [
    await openClipEncoder(ctx, "text_encoder", "tokenizer", lastHiddenState),
  ],
  encodePrompt,
  negativeConditioning: (model, text, _positive, timings) => encodePrompt(model, text, timings),
  denoiserFeeds: (model, rows) => stackRows(model.floatType, rows),
  decode: decodeWithVae,
};
