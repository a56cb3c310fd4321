// Encoding with provenance: every file that leaves the service carries the XMP packet, and PNGs
// also the "parameters" text. Encoder settings match the engine's encodeImage.
import sharp, { type Sharp } from "sharp";
import type { ImageFormat, RgbImage } from "../engine";
import type { C2paFormat, ContentCredentials } from "./c2pa";
import { parametersText, type GenerationInfo } from "./parameters";
import { PARAMETERS_KEYWORD, readPngText, writePngText } from "./png-text";
import { xmpPacket } from "./xmp";

export type ProvenanceFormat = ImageFormat;

export interface OutputOptions {
  format?: ProvenanceFormat;
  /**
   * Output size (Lanczos). Both given: exactly that size, covered and centre-cropped where the
   * aspect differs. One given: the other follows the aspect ratio (thumbnails). Neither: the source size.
   */
  width?: number;
  height?: number;
  /** JPEG and WebP quality, 1–100 (default 90). */
  quality?: number;
  /** Signs a C2PA manifest into the file; without it the file carries XMP only. */
  contentCredentials?: ContentCredentials;
  /** The file's name in its manifest. */
  title?: string;
}

function resized(
  pipeline: Sharp,
  options: OutputOptions,
  source: { width: number; height: number }
) {
  const { width, height } = options;
  if (width === undefined && height === undefined) return pipeline;
  if (width === source.width && height === source.height) return pipeline;
  return pipeline.resize(width, height, {
    fit: width !== undefined && height !== undefined ? "cover" : "inside",
    kernel: "lanczos3",
  });
}

async function encode(
  pipeline: Sharp,
  options: OutputOptions,
  xmp: string | undefined,
  parameters: string | undefined
) {
  const quality = options.quality ?? 90;
  switch (options.format ?? "png") {
    case "png":
      return writePngText(await pipeline.png({ compressionLevel: 6 }).toBuffer(), {
        xmp,
        parameters,
      });
    case "jpeg":
      pipeline = pipeline.jpeg({ quality, mozjpeg: true });
      break;
    case "webp":
      pipeline = pipeline.webp({ quality });
      break;
  }
  return (xmp === undefined ? pipeline : pipeline.withXmp(xmp)).toBuffer();
}

const fileTitle = (options: OutputOptions) =>
  options.title ?? `lumen.${options.format === "jpeg" ? "jpg" : (options.format ?? "png")}`;

/**
 * Encodes generated pixels as PNG (default), JPEG or WebP carrying the generation's provenance:
 * XMP, the PNG parameters text, and with `contentCredentials` a signed C2PA manifest (c2pa.created,
 * or c2pa.edited of `source` for a picture made from another).
 */
export async function encodeWithProvenance(
  image: RgbImage,
  info: GenerationInfo,
  options: OutputOptions & {
    source?: { bytes: Uint8Array; format: C2paFormat; title: string };
  } = {}
): Promise<Buffer> {
  const pixels = Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength);
  const pipeline = sharp(pixels, {
    raw: { width: image.width, height: image.height, channels: 3 },
  });
  const bytes = await encode(
    resized(pipeline, options, image),
    options,
    xmpPacket(info),
    parametersText(info)
  );
  if (!options.contentCredentials) return bytes;
  return options.contentCredentials.sign(bytes, options.format ?? "png", {
    title: fileTitle(options),
    model: info.model,
    source: options.source,
  });
}

/**
 * Converts a stored PNG to another format or size, keeping its XMP (and for PNG its parameters);
 * with `contentCredentials`, the copy's manifest names the PNG (and its manifest) as its original.
 */
export async function transcode(
  png: Buffer,
  options: OutputOptions & { format: ProvenanceFormat; originalTitle?: string }
): Promise<Buffer> {
  const pipeline = sharp(png);
  const metadata = await pipeline.metadata();
  const xmp = metadata.xmp?.toString("utf8");
  const parameters = readPngText(png).get(PARAMETERS_KEYWORD);
  const bytes = await encode(resized(pipeline, options, metadata), options, xmp, parameters);
  if (!options.contentCredentials) return bytes;
  return options.contentCredentials.signCopy(bytes, options.format, fileTitle(options), {
    bytes: png,
    format: "png",
    title: options.originalTitle ?? "lumen.png",
  });
}
