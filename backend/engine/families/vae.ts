// Latents → pixels through the model's decoder (the full VAE's or a tiny one, decoder.ts), as
// SD-family decoders take them: divided by the decoder's scaling factor, one image per run (a
// decoder's activations at 1024² are large), output in −1..1 mapped to 8-bit RGB. And pixels →
// latents through the VAE's encoder, where a picture is the starting point.
import type { LoadedModel, VaeEncoder } from "../model";
import type { RgbImage } from "../pipelines/preview";
import { floatTensor, toFloat32 } from "../tensors";
import type { Timings } from "../timings";

export async function decodeWithVae(
  model: LoadedModel,
  latents: Float32Array,
  h: number,
  w: number,
  timings: Timings
): Promise<RgbImage> {
  const inv = 1 / model.vaeScalingFactor;
  const z = latents.map((v) => v * inv);
  const out = await timings.run("vae_decoder", model.vae, {
    latent_sample: floatTensor(model.vaeFloatType, z, [1, model.latentChannels, h, w]),
  });
  const decoded = out[model.vae.outputNames[0]];
  return timings.measure("to_rgb", () =>
    toRgb(toFloat32(decoded), decoded.dims[3], decoded.dims[2])
  );
}

/** A picture's latent distribution: its mean and, for `latent_parameters` exports, log-variance. */
export interface EncodedPicture {
  mean: Float32Array;
  logvar?: Float32Array;
}

/** A picture (at the generation size) through the VAE encoder, pixels as 2·x/255 − 1. */
export async function encodeWithVae(
  encoder: VaeEncoder,
  image: RgbImage,
  timings: Timings
): Promise<EncodedPicture> {
  const out = await timings.run("vae_encoder", encoder.session, {
    sample: floatTensor(encoder.floatType, fromRgb(image), [1, 3, image.height, image.width]),
  });
  const data = toFloat32(out[encoder.output]);
  if (encoder.output === "latent_sample") return { mean: data };
  const half = data.length / 2;
  return { mean: data.subarray(0, half), logvar: data.subarray(half) };
}

/**
 * Latents to start from, as diffusers' image-to-image pipelines draw them: mean + exp(logvar/2)·noise
 * with the log-variance clamped to [−30, 20] (DiagonalGaussianDistribution.sample), or the export's
 * own sample; times the scaling factor.
 */
export function sampleLatents(
  picture: EncodedPicture,
  scalingFactor: number,
  noise: Float32Array | undefined
): Float32Array {
  const { mean, logvar } = picture;
  if (!logvar || !noise) return mean.map((v) => v * scalingFactor);
  return mean.map(
    (m, p) =>
      scalingFactor * (m + Math.exp(0.5 * Math.min(20, Math.max(-30, logvar[p]))) * noise[p])
  );
}

/** Interleaved 8-bit RGB → one [3, height, width] image in −1..1. */
export function fromRgb(image: RgbImage): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < plane; p++) out[c * plane + p] = (image.pixels[p * 3 + c] / 255) * 2 - 1;
  }
  return out;
}

/** One [3, height, width] image in −1..1 → interleaved 8-bit RGB. */
export function toRgb(data: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  const pixels = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const base = c * plane;
    for (let p = 0; p < plane; p++) {
      const v = Math.round(((data[base + p] + 1) / 2) * 255);
      pixels[p * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return { width, height, pixels };
}
