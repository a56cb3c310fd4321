// A real S3-compatible server for tests: s3rver (the S3 REST API in Node, objects on disk) on a
// free loopback port with its own temporary directory. It checks the access key id (S3RVER), not
// the secret; requests go through the official AWS SDK as they would to AWS or MinIO.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";
import { freePort } from "./services";

export const S3_ACCESS_KEY = "S3RVER";
export const S3_SECRET = "S3RVER";

export interface S3Server {
  endpoint: string;
  bucket: string;
  /** The directory it keeps its buckets in. */
  dir: string;
  /** Stops answering (connections are refused); start() brings it back with its objects. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startS3(bucket = "lumen-images"): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), "lumen-s3-"));
  const port = await freePort();
  let server: S3rver | undefined;
  const start = async () => {
    if (server) return;
    const s = new S3rver({
      address: "127.0.0.1",
      port,
      directory: dir,
      silent: true,
      configureBuckets: [{ name: bucket }],
    });
    await s.run();
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    await s?.close();
  };
  await start();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    dir,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
