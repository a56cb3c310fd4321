// Image bytes by key: the BlobStore interface and its local-directory implementation.
export { LocalDirectoryBlobStore } from "./local-directory";
export { checkKey, type BlobStore } from "./types";
