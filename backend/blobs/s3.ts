// Blobs as objects in an S3 bucket (AWS S3 or an S3-compatible server: MinIO, Ceph, Garage, R2…),
// named like the directory store's files: <prefix><first two hex digits>/<key>.png. Every node
// reaches the same bucket, so no shared volume is needed. An object appears whole or not at all
// (S3 has no partial PUT), and a blob never changes once written: two nodes writing one key write
// the same bytes, which is why `put` checks with HEAD rather than a conditional PUT (If-None-Match
// is not implemented by every S3-compatible server).
import { randomUUID } from "node:crypto";
import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { StorageError } from "../store/errors";
import type { StorageProblem } from "../store/health";
import { checkKey, type BlobStore } from "./types";

export interface S3Location {
  bucket: string;
  /** "" or a key prefix ending in "/". */
  prefix: string;
}

/** s3://bucket or s3://bucket/some/prefix → bucket and prefix; throws a RangeError naming what is wrong. */
export function parseS3Url(url: string): S3Location {
  const m = /^s3:\/\/([^/?#]*)(?:\/([^?#]*))?$/.exec(url);
  if (!m) throw new RangeError(`${JSON.stringify(url)} is not an s3://bucket/prefix URL`);
  const bucket = m[1]!;
  // S3's bucket naming rules (3–63 lowercase letters, digits, dots and hyphens).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new RangeError(
      `${JSON.stringify(url)}: the bucket name must be 3 to 63 lowercase letters, digits, dots or hyphens`
    );
  }
  const path = (m[2] ?? "").replace(/^\/+|\/+$/g, "");
  return { bucket, prefix: path ? `${path}/` : "" };
}

export interface S3BlobStoreOptions extends S3Location {
  /** An S3-compatible server's URL (http://minio.internal:9000); unset: AWS S3 in `region`. */
  endpoint?: string;
  /** Bucket in the path (http://host/bucket/key) rather than the host name; most S3-compatible servers need it. */
  forcePathStyle?: boolean;
  region: string;
  /** Explicit credentials; unset: the SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or pod role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Per attempt: connecting, then the whole request. */
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Attempts per operation (the SDK retries throttling, 5xx and network errors). */
  maxAttempts?: number;
  /** A successful probe is trusted this long before the next one goes to the server. */
  probeEveryMs?: number;
}

/** Codes of the SDK and of Node's sockets that mean the server could not be reached. */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
  "RequestTimeout",
]);
const REFUSED_CREDENTIALS = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "AccessDenied",
  "AllAccessDisabled",
  "Forbidden",
]);

type SdkError = Error & { Code?: string; code?: string; $metadata?: { httpStatusCode?: number } };

export class S3BlobStore implements BlobStore {
  readonly dirs: readonly string[] = [];
  readonly location: string;
  private readonly sdk: Promise<{
    client: S3Client;
    commands: typeof import("@aws-sdk/client-s3");
  }>;
  private readonly probeKey: string;
  private lastGoodProbe = 0;

  constructor(private readonly options: S3BlobStoreOptions) {
    this.location = `s3://${options.bucket}/${options.prefix}${options.endpoint ? ` at ${options.endpoint}` : ""}`;
    this.probeKey = `${options.prefix}.lumen-probe-${randomUUID()}`;
    // Loaded only when configured: the SDK is large, and a single machine never needs it.
    this.sdk = import("@aws-sdk/client-s3").then((commands) => {
      const config: S3ClientConfig = {
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle,
        credentials: options.credentials,
        maxAttempts: options.maxAttempts ?? 3,
        requestHandler: {
          connectionTimeout: options.connectTimeoutMs ?? 5000,
          requestTimeout: options.requestTimeoutMs ?? 30_000,
        },
      };
      return { client: new commands.S3Client(config), commands };
    });
  }

  objectKey(key: string): string {
    checkKey(key);
    return `${this.options.prefix}${key.slice(0, 2)}/${key}.png`;
  }

  async has(key: string): Promise<boolean> {
    const Key = this.objectKey(key);
    const { client, commands } = await this.sdk;
    try {
      await client.send(new commands.HeadObjectCommand({ Bucket: this.options.bucket, Key }));
      return true;
    } catch (e) {
      // HEAD answers carry no body, so a missing key is only its 404.
      if ((e as SdkError).$metadata?.httpStatusCode === 404) return false;
      throw this.fail(e, `checking ${Key}`);
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<boolean> {
    const Key = this.objectKey(key);
    if (await this.has(key)) return false;
    const { client, commands } = await this.sdk;
    try {
      await client.send(
        new commands.PutObjectCommand({
          Bucket: this.options.bucket,
          Key,
          Body: bytes,
          ContentType: "image/png",
        })
      );
    } catch (e) {
      throw this.fail(e, `writing ${Key}`);
    }
    return true;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const Key = this.objectKey(key);
    const { client, commands } = await this.sdk;
    try {
      const out = await client.send(
        new commands.GetObjectCommand({ Bucket: this.options.bucket, Key })
      );
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (e) {
      if ((e as SdkError).name === "NoSuchKey") return undefined;
      throw this.fail(e, `reading ${Key}`);
    }
  }

  async remove(key: string): Promise<void> {
    const Key = this.objectKey(key);
    const { client, commands } = await this.sdk;
    try {
      // Deleting a missing key succeeds in S3.
      await client.send(new commands.DeleteObjectCommand({ Bucket: this.options.bucket, Key }));
    } catch (e) {
      throw this.fail(e, `removing ${Key}`);
    }
  }

  /**
   * Whether a blob can be written now: a small object written and removed, which catches a wrong
   * bucket, refused credentials, missing write permission and an unreachable server alike. A good
   * answer is reused for probeEveryMs (a PUT is a billed request); a failed operation clears it.
   */
  async probe(): Promise<StorageProblem | undefined> {
    if (Date.now() - this.lastGoodProbe < (this.options.probeEveryMs ?? 30_000)) return undefined;
    const { client, commands } = await this.sdk;
    try {
      await client.send(
        new commands.PutObjectCommand({ Bucket: this.options.bucket, Key: this.probeKey, Body: "" })
      );
      await client.send(
        new commands.DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.probeKey })
      );
    } catch (e) {
      const error = this.fail(e, "writing a probe object");
      if (error instanceof StorageError) return { message: error.message, reason: error.reason };
      return { message: `${this.location}: ${(e as Error).message}`, reason: "unknown" };
    }
    this.lastGoodProbe = Date.now();
    return undefined;
  }

  async close(): Promise<void> {
    (await this.sdk).client.destroy();
  }

  /** A StorageError (503 for clients, /readyz not ready) naming the bucket and the cause; other errors as they are. */
  private fail(e: unknown, what: string): unknown {
    this.lastGoodProbe = 0;
    const err = e as SdkError;
    const status = err?.$metadata?.httpStatusCode;
    const code = err?.code ?? err?.Code ?? err?.name;
    let cause: string | undefined;
    let reason = String(code);
    if (code === "NoSuchBucket") cause = `the bucket ${this.options.bucket} does not exist`;
    else if (code === "CredentialsProviderError") {
      cause =
        "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or give the machine a role)";
    } else if (REFUSED_CREDENTIALS.has(code!) || status === 403) {
      reason = REFUSED_CREDENTIALS.has(code!) ? code! : "AccessDenied";
      cause = `the server refused the credentials or their permissions: ${err.message === "UnknownError" ? "403 Forbidden" : err.message}`;
    } else if (UNREACHABLE.has(code!))
      cause = `the object storage server cannot be reached: ${err.message}`;
    else if (status !== undefined && status >= 500) {
      cause = `the object storage server failed (${status}): ${err.message}`;
    } else if (status !== undefined)
      cause = `the object storage server refused the request (${status}): ${err.message}`;
    if (!cause) return e;
    return new StorageError(`${this.location}: ${what}: ${cause} (${reason})`, reason, {
      cause: e,
    });
  }
}
