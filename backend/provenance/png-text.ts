// Text chunks of PNG files: the XMP packet (iTXt "XML:com.adobe.xmp", as the XMP specification
// part 3 requires: uncompressed UTF-8) and the "parameters" text. libvips would write the XMP as a
// zTXt chunk, which is Latin-1 by definition, so PNG metadata is written here instead.
// png-chunk-text only handles tEXt; the iTXt layout (keyword, flags, language, translated keyword,
// UTF-8 text) is a dozen lines, encoded and decoded by hand below.
import { inflateSync } from "node:zlib";
import extractChunks, { type PngChunk } from "png-chunks-extract";
import encodeChunks from "png-chunks-encode";
import pngText from "png-chunk-text";

export const XMP_KEYWORD = "XML:com.adobe.xmp";
export const PARAMETERS_KEYWORD = "parameters";

// eslint-disable-next-line no-control-regex -- Latin-1 text is every code point from 1 to 255
const isLatin1 = (text: string) => /^[\x01-\xFF]*$/.test(text);

function iTXt(keyword: string, text: string): PngChunk {
  const header = Buffer.from(`${keyword}\0\0\0\0\0`, "latin1"); // no compression, no language, no translation
  return { name: "iTXt", data: new Uint8Array(Buffer.concat([header, Buffer.from(text, "utf8")])) };
}

/** tEXt where the text is Latin-1 (what A1111 readers expect), otherwise iTXt, as PIL does. */
function textChunk(keyword: string, text: string): PngChunk {
  const clean = text.replace(/\0/g, "\uFFFD");
  return isLatin1(clean) ? pngText.encode(keyword, clean) : iTXt(keyword, clean);
}

function decodeITXt(data: Uint8Array): { keyword: string; text: string } {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const keywordEnd = bytes.indexOf(0);
  const compressed = bytes[keywordEnd + 1] === 1;
  const languageEnd = bytes.indexOf(0, keywordEnd + 3);
  const translatedEnd = bytes.indexOf(0, languageEnd + 1);
  const body = bytes.subarray(translatedEnd + 1);
  return {
    keyword: bytes.toString("latin1", 0, keywordEnd),
    text: (compressed ? inflateSync(body) : body).toString("utf8"),
  };
}

function decodeZTXt(data: Uint8Array): { keyword: string; text: string } {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const keywordEnd = bytes.indexOf(0);
  return {
    keyword: bytes.toString("latin1", 0, keywordEnd),
    text: inflateSync(bytes.subarray(keywordEnd + 2)).toString("latin1"),
  };
}

/** Every tEXt, zTXt and iTXt entry of a PNG file, by keyword (the first wins). */
export function readPngText(png: Uint8Array): Map<string, string> {
  const entries = new Map<string, string>();
  for (const chunk of extractChunks(png)) {
    let entry: { keyword: string; text: string } | undefined;
    try {
      if (chunk.name === "tEXt") entry = pngText.decode(chunk.data);
      else if (chunk.name === "iTXt") entry = decodeITXt(chunk.data);
      else if (chunk.name === "zTXt") entry = decodeZTXt(chunk.data);
    } catch {
      continue; // a malformed text chunk is skipped, as image viewers do
    }
    if (entry && !entries.has(entry.keyword)) entries.set(entry.keyword, entry.text);
  }
  return entries;
}

/** The PNG with its XMP and parameters text replaced by these, placed before the image data. */
export function writePngText(png: Uint8Array, text: { xmp?: string; parameters?: string }): Buffer {
  const ours = new Set([XMP_KEYWORD, PARAMETERS_KEYWORD]);
  const chunks = extractChunks(png).filter((chunk) => {
    if (chunk.name !== "tEXt" && chunk.name !== "iTXt" && chunk.name !== "zTXt") return true;
    const end = chunk.data.indexOf(0);
    return !ours.has(
      Buffer.from(chunk.data.subarray(0, end < 0 ? undefined : end)).toString("latin1")
    );
  });
  const added: PngChunk[] = [];
  if (text.xmp !== undefined) added.push(iTXt(XMP_KEYWORD, text.xmp));
  if (text.parameters !== undefined) added.push(textChunk(PARAMETERS_KEYWORD, text.parameters));
  const firstData = chunks.findIndex((chunk) => chunk.name === "IDAT");
  chunks.splice(firstData < 0 ? chunks.length - 1 : firstData, 0, ...added);
  return Buffer.from(encodeChunks(chunks));
}
