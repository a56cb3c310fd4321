// The image formats Lumen encodes (sharp's PNG, JPEG and WebP encoders): one list for the
// engine, provenance, the HTTP contract and the add-in.
export const imageFormats = ["png", "jpeg", "webp"] as const;
export type ImageFormat = (typeof imageFormats)[number];
