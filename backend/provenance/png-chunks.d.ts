// Types for the small, untyped PNG chunk packages (hughsk's png-chunks-* family).
declare module "png-chunks-extract" {
  export interface PngChunk {
    name: string;
    data: Uint8Array;
  }
  export default function extractChunks(data: Uint8Array): PngChunk[];
}

declare module "png-chunks-encode" {
  import type { PngChunk } from "png-chunks-extract";
  export default function encodeChunks(chunks: PngChunk[]): Uint8Array;
}

declare module "png-chunk-text" {
  import type { PngChunk } from "png-chunks-extract";
  const text: {
    /** A tEXt chunk; throws unless keyword and content are Latin-1 without NUL. */
    encode(keyword: string, content: string): PngChunk;
    decode(data: Uint8Array | PngChunk): { keyword: string; text: string };
  };
  export default text;
}
