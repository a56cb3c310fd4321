// Reading provenance back from a PNG, JPEG or WebP file: what tests, the CLI and support use to
// check what a file says about itself.
import sharp from "sharp";
import { PARAMETERS_KEYWORD, readPngText } from "./png-text";
import { xmpProperty } from "./xmp";

export interface Provenance {
  xmp?: string;
  /** The PNG "parameters" text, or for JPEG and WebP the same text from the XMP. */
  parameters?: string;
  digitalSourceType?: string;
}

export async function readProvenance(bytes: Buffer): Promise<Provenance> {
  const metadata = await sharp(bytes).metadata();
  const xmp = metadata.xmp?.toString("utf8");
  const fromPng =
    metadata.format === "png" ? readPngText(bytes).get(PARAMETERS_KEYWORD) : undefined;
  const result: Provenance = {};
  if (xmp !== undefined) result.xmp = xmp;
  const parameters =
    fromPng ?? (xmp === undefined ? undefined : xmpProperty(xmp, "lumen:parameters"));
  if (parameters !== undefined) result.parameters = parameters;
  const digitalSourceType =
    xmp === undefined ? undefined : xmpProperty(xmp, "Iptc4xmpExt:DigitalSourceType");
  if (digitalSourceType !== undefined) result.digitalSourceType = digitalSourceType;
  return result;
}
