// Cheap previews during denoising: each latent pixel is mapped to RGB by a fixed linear map, so a
// step preview costs microseconds instead of a VAE decode. The result is latent-sized (1/8 scale).
export interface RgbImage {
  width: number;
  height: number;
  /** Interleaved 8-bit RGB, row-major. */
  pixels: Uint8Array;
}

export function latentPreview(
  latents: Float32Array,
  n: number,
  channels: number,
  h: number,
  w: number,
  map: { weights: number[][]; bias: number[] }
): RgbImage[] {
  const plane = h * w;
  const images: RgbImage[] = [];
  for (let k = 0; k < n; k++) {
    const base = k * channels * plane;
    const pixels = new Uint8Array(plane * 3);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        let v = map.bias[c];
        for (let ch = 0; ch < channels && ch < map.weights.length; ch++)
          v += latents[base + ch * plane + p] * map.weights[ch][c];
        pixels[p * 3 + c] = Math.max(0, Math.min(255, Math.round(v * 255)));
      }
    }
    images.push({ width: w, height: h, pixels });
  }
  return images;
}
