// The store a configuration asks for: PostgreSQL when LUMEN_DATABASE_URL is set, else SQLite in
// the data directory; images in LUMEN_IMAGES_DIR (a volume every node mounts) or <dataDir>/images.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalDirectoryBlobStore } from "../blobs";
import { asStorageError, StorageError } from "./errors";
import { probeWritableSync } from "./health";
import { openPostgresStore } from "./postgres/store";
import type { Store } from "./records";
import { openStore } from "./sqlite-store";

export async function openConfiguredStore(config: { dataDir: string; databaseUrl?: string; imagesDir?: string }): Promise<Store> {
  if (!config.databaseUrl && !config.imagesDir) return openStore(config.dataDir);
  const dir = resolve(config.imagesDir ?? join(config.dataDir, "images"));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw asStorageError(e, `cannot create the images directory ${dir}`) ?? e;
  }
  const problem = probeWritableSync([dir]);
  if (problem) throw new StorageError(`the images directory cannot be written: ${problem.message}`, problem.reason);
  const blobs = new LocalDirectoryBlobStore(dir);
  return config.databaseUrl ? openPostgresStore({ url: config.databaseUrl, blobs }) : openStore(config.dataDir, { blobs });
}
