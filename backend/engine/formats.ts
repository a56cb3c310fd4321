// The image formats Lumen encodes (sharp's PNG, JPEG and WebP encoders): one list for the
// engine, provenance, the HTTP contract and the add-in. It imports nothing, so the browser
// bundle can use it through the contract.
export const imageFormats = ["png", "jpeg", "webp"] as const;
export type ImageFormat = (typeof imageFormats)[number];
