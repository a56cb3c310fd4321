// Encoding generated pixels to files with sharp (libvips): PNG, JPEG or WebP, optionally resized;
// and decoding the pictures a generation may start from.
import sharp, { type Metadata } from "sharp";
import { RequestError } from "./errors";
import { type ImageFormat } from "../../contract/formats";
import type { RgbImage } from "./pipelines/preview";

export { imageFormats, type ImageFormat } from "../../contract/formats";

export interface EncodeOptions {
  format?: ImageFormat;
  /** Output size; a different size is a Lanczos resize that covers it, centre-cropping any aspect difference. */
  width?: number;
  height?: number;
  quality?: number;
}

export async function encodeImage(image: RgbImage, options: EncodeOptions = {}): Promise<Buffer> {
  let pipeline = sharp(
    Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength),
    {
      raw: { width: image.width, height: image.height, channels: 3 },
    }
  );
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

/**
 * A starting picture at the generation size: a Lanczos resize that covers it, centre-cropping any
 * aspect difference (the same fit as the output's), as 8-bit RGB without alpha.
 */
export async function fitPicture(
  image: RgbImage,
  width: number,
  height: number
): Promise<RgbImage> {
  if (image.width === width && image.height === height) return image;
  const { data, info } = await sharp(
    Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength),
    {
      raw: { width: image.width, height: image.height, channels: 3 },
    }
  )
    .resize(width, height, { fit: "cover", kernel: "lanczos3" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Formats a starting picture may come in. */
export const pictureFormats = ["png", "jpeg", "webp"] as const;
export type PictureFormat = (typeof pictureFormats)[number];

/** Largest side of a starting picture, in pixels (it is fitted to the generation size anyway). */
export const MAX_PICTURE_SIDE = 4096;

/**
 * A PNG, JPEG or WebP file → 8-bit RGB: EXIF orientation applied, transparency flattened onto
 * white (transparent areas of clip art and logos are meant as background). Throws a RequestError
 * for anything else, or for a side over MAX_PICTURE_SIDE, before decoding the pixels.
 */
export async function decodePicture(
  bytes: Uint8Array
): Promise<{ image: RgbImage; format: PictureFormat }> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes).metadata();
  } catch {
    throw new RequestError("image: not a picture sharp can read; send a PNG, JPEG or WebP file");
  }
  const format = metadata.format as PictureFormat;
  if (!pictureFormats.includes(format)) {
    throw new RequestError(
      `image: ${metadata.format ?? "this"} pictures are not accepted; send a PNG, JPEG or WebP file`
    );
  }
  const { width = 0, height = 0 } = metadata;
  if (width > MAX_PICTURE_SIDE || height > MAX_PICTURE_SIDE) {
    throw new RequestError(
      `image: ${width}×${height} pixels; at most ${MAX_PICTURE_SIDE} pixels a side`
    );
  }
  try {
    const { data, info } = await sharp(bytes, {
      limitInputPixels: MAX_PICTURE_SIDE * MAX_PICTURE_SIDE,
    })
      .rotate()
      .flatten({ background: "#ffffff" })
      .removeAlpha()
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      image: {
        width: info.width,
        height: info.height,
        pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      },
      format,
    };
  } catch (e) {
    throw new RequestError(
      `image: the ${format.toUpperCase()} file could not be decoded (${(e as Error).message})`
    );
  }
}
