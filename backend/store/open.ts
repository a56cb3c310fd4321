// The store a configuration asks for: PostgreSQL when LUMEN_DATABASE_URL is set, else SQLite in
// the data directory; images in an S3 bucket (LUMEN_BLOB_URL), in LUMEN_IMAGES_DIR (a volume every
// node mounts) or in <dataDir>/images.
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { LocalDirectoryBlobStore, parseS3Url, S3BlobStore, type BlobStore } from "../blobs";
import { asStorageError, StorageError } from "./errors";
import { probeWritableSync } from "./health";
import { openPostgresStore } from "./postgres/store";
import type { Store } from "./records";
import { openStore } from "./sqlite-store";

export interface StoreConfig {
  dataDir: string;
  databaseUrl?: string;
  imagesDir?: string;
  blobUrl?: string;
  s3Endpoint?: string;
  s3ForcePathStyle?: boolean;
  s3Region?: string;
}

export async function openConfiguredStore(
  config: StoreConfig,
  env: NodeJS.ProcessEnv = process.env
): Promise<Store> {
  if (!config.databaseUrl && !config.imagesDir && !config.blobUrl) return openStore(config.dataDir);
  const blobs = config.blobUrl ? await openBucket(config, env) : openImagesDir(config);
  try {
    return config.databaseUrl
      ? await openPostgresStore({ url: config.databaseUrl, blobs })
      : await openStore(config.dataDir, { blobs });
  } catch (e) {
    await blobs.close?.();
    throw e;
  }
}

function openImagesDir(config: StoreConfig): BlobStore {
  const dir = resolve(config.imagesDir ?? join(config.dataDir, "images"));
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw asStorageError(e, `cannot create the images directory ${dir}`) ?? e;
  }
  const problem = probeWritableSync([dir]);
  if (problem)
    throw new StorageError(
      `the images directory cannot be written: ${problem.message}`,
      problem.reason
    );
  return new LocalDirectoryBlobStore(dir);
}

/** The bucket, checked by writing a probe object: a wrong bucket, endpoint or credentials stop the start with their cause. */
async function openBucket(config: StoreConfig, env: NodeJS.ProcessEnv): Promise<S3BlobStore> {
  const blobs = new S3BlobStore({
    ...parseS3Url(config.blobUrl!),
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle ?? Boolean(config.s3Endpoint),
    region: config.s3Region ?? env.AWS_REGION ?? "us-east-1",
  });
  const problem = await blobs.probe();
  if (problem) {
    await blobs.close();
    throw new StorageError(
      `the image bucket cannot be written: ${problem.message}`,
      problem.reason
    );
  }
  return blobs;
}
