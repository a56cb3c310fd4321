// Where image bytes live, by key (the SHA-256 of the bytes): a local directory by default, which
// may be a volume shared by several machines, or an S3 bucket. The store keeps the rows and decides when a blob
// lost its last reference; a blob store only keeps bytes.
import type { StorageProblem } from "../store/health";

export interface BlobStore {
  /** Writes the bytes unless the key exists; returns whether it wrote. Never leaves a partial blob under the key. */
  put(key: string, bytes: Uint8Array): Promise<boolean>;
  /** The bytes, or undefined when there is no blob under the key. */
  get(key: string): Promise<Buffer | undefined>;
  has(key: string): Promise<boolean>;
  /** Removes the blob; nothing happens when there is none. */
  remove(key: string): Promise<void>;
  /** Local directories it writes to, for the writability probe behind /readyz (empty for remote storage). */
  readonly dirs: readonly string[];
  /** Where the blobs are, for messages: a directory or a URL. */
  readonly location: string;
  /** Remote storage: whether a blob can be written now, for /readyz (local directories are probed through `dirs`). */
  probe?(): Promise<StorageProblem | undefined>;
  /** Releases connections; the store stays unusable after. */
  close?(): Promise<void>;
}

/** A key is a lowercase SHA-256 in hex: anything else could name a path outside the store. */
export function checkKey(key: string): string {
  if (!/^[0-9a-f]{64}$/.test(key))
    throw new RangeError(`blob key must be a SHA-256 in hex, not ${JSON.stringify(key)}`);
  return key;
}
