// Image bytes by key: the BlobStore interface, in a local directory or an S3 bucket.
export { LocalDirectoryBlobStore } from "./local-directory";
export { parseS3Url, S3BlobStore, type S3BlobStoreOptions } from "./s3";
export { checkKey, type BlobStore } from "./types";
