// Latents → pixels through the model's decoder (the full VAE's or a tiny one, decoder.ts), as
// SD-family decoders take them: divided by the decoder's scaling factor, one image per run (a
// decoder's activations at 1024² are large), output in −1..1 mapped to 8-bit RGB.
import type { LoadedModel } from "../model";
import type { RgbImage } from "../pipelines/preview";
import { floatTensor, toFloat32 } from "../tensors";
import type { Timings } from "../timings";

export async function decodeWithVae(model: LoadedModel, latents: Float32Array, h: number, w: number, timings: Timings): Promise<RgbImage> {
  const inv = 1 / model.vaeScalingFactor;
  const z = latents.map((v) => v * inv);
  const out = await timings.run("vae_decoder", model.vae, {
    latent_sample: floatTensor(model.vaeFloatType, z, [1, model.latentChannels, h, w]),
  });
  const decoded = out[model.vae.outputNames[0]];
  return timings.measure("to_rgb", () => toRgb(toFloat32(decoded), decoded.dims[3], decoded.dims[2]));
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
