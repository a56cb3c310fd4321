// Encoding generated pixels to files with sharp (libvips): PNG, JPEG or WebP, optionally resized.
import sharp from "sharp";
import type { RgbImage } from "./pipelines/preview";

export const imageFormats = ["png", "jpeg", "webp"] as const;
export type ImageFormat = (typeof imageFormats)[number];

export interface EncodeOptions {
  format?: ImageFormat;
  /** Output size; a different size is a Lanczos resize that covers it, centre-cropping any aspect difference. */
  width?: number;
  height?: number;
  quality?: number;
}

export async function encodeImage(image: RgbImage, options: EncodeOptions = {}): Promise<Buffer> {
  let pipeline = sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  const width = options.width ?? image.width;
  const height = options.height ?? image.height;
  if (width !== image.width || height !== image.height) {
    pipeline = pipeline.resize(width, height, { fit: "cover", kernel: "lanczos3" });
  }
  switch (options.format ?? "png") {
    case "png":
      return pipeline.png({ compressionLevel: 6 }).toBuffer();
    case "jpeg":
      return pipeline.jpeg({ quality: options.quality ?? 90, mozjpeg: true }).toBuffer();
    case "webp":
      return pipeline.webp({ quality: options.quality ?? 90 }).toBuffer();
  }
}

export function formatFromPath(path: string): ImageFormat {
  const ext = path.toLowerCase().split(".").pop();
  if (ext === "jpg" || ext === "jpeg") return "jpeg";
  if (ext === "webp") return "webp";
  return "png";
}
