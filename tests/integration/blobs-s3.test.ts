// The S3 blob store on a real S3-compatible server (s3rver on loopback) through the official AWS
// SDK: the shared blob-store contract, the configuration, and the faults an operator meets — a
// wrong bucket, refused credentials, a server that stops and comes back — down to the API's
// answers (503 storage_unavailable, /readyz) while the server keeps running.
import { strict as assert } from "node:assert";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { parseS3Url, S3BlobStore, type BlobStore } from "../../backend/blobs";
import { ConfigError, loadConfig } from "../../backend/config";
import { openStore, StorageError, type Store } from "../../backend/store";
import { openConfiguredStore } from "../../backend/store/open";
import { blob, blobStoreContract } from "../contracts/blobs";
import { storeContract } from "../contracts/store";
import { startS3, S3_ACCESS_KEY, S3_SECRET, type S3Server } from "../helpers/s3";
import { spawnServer } from "../helpers/process-server";
import { readEvents, startTestServer } from "../helpers/server";

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

const credentials = { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET };
const opened: S3BlobStore[] = [];
afterAll(async () => {
  for (const store of opened) await store.close();
});
function bucketStore(
  options: { prefix?: string; bucket?: string; accessKeyId?: string } = {}
): S3BlobStore {
  const store = new S3BlobStore({
    bucket: options.bucket ?? s3.bucket,
    prefix: options.prefix ?? `${randomUUID()}/`,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: "us-east-1",
    credentials: { ...credentials, accessKeyId: options.accessKeyId ?? S3_ACCESS_KEY },
    // Bounded: a stopped server is found out in one attempt.
    maxAttempts: 1,
    connectTimeoutMs: 2000,
    requestTimeoutMs: 5000,
  });
  opened.push(store);
  return store;
}

/** Its StorageError's reason, asserting that it is one and that its message names the bucket. */
async function storageFailure(
  promise: Promise<unknown>,
  bucket = s3.bucket
): Promise<StorageError> {
  const error = await promise.then(
    () => assert.fail("expected a StorageError"),
    (e: unknown) => e
  );
  assert.ok(error instanceof StorageError, String(error));
  assert.ok(error.message.includes(`s3://${bucket}/`), error.message);
  return error;
}

blobStoreContract("S3 bucket (s3rver)", {
  async open() {
    return bucketStore();
  },
  async openAgain(store: BlobStore) {
    return bucketStore({ prefix: parseS3Url(store.location.split(" ")[0]!).prefix });
  },
});

// The store's own rules for blobs (content-addressed, idempotent writes, purges and failed
// generations removing what no image uses) hold with its images in a bucket.
const temporary: string[] = [];
afterAll(() => temporary.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lumen-s3-data-"));
  temporary.push(dir);
  return dir;
}
const dataDirs = new Map<Store, string>();
storeContract(
  "SQLite with images in S3 (s3rver)",
  {
    async open({ now, blobs }) {
      const dir = tempDir();
      const store = openStore(dir, { now, blobs });
      dataDirs.set(store, dir);
      return store;
    },
    async reopen(store, { blobs }) {
      await store.close();
      const again = openStore(dataDirs.get(store)!, { blobs });
      dataDirs.set(again, dataDirs.get(store)!);
      return again;
    },
  },
  {
    async create() {
      return bucketStore();
    },
    async files(blobs) {
      const { prefix } = parseS3Url(blobs.location.split(" ")[0]!);
      const client = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials,
      });
      try {
        const listed = await client.send(
          new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix })
        );
        return (listed.Contents ?? []).map((o) => o.Key!.slice(o.Key!.lastIndexOf("/") + 1));
      } finally {
        client.destroy();
      }
    },
  }
);

describe("S3 blob store", () => {
  it("names objects <prefix><two hex digits>/<key>.png as image/png, and keeps nothing else after a probe", async () => {
    const prefix = `layout-${randomUUID()}/`;
    const store = bucketStore({ prefix });
    const a = blob("layout");
    await store.put(a.key, a.bytes);
    assert.equal(await store.probe(), undefined);
    const client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials,
    });
    try {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix })
      );
      expect(listed.Contents?.map((o) => o.Key)).toStrictEqual([
        `${prefix}${a.key.slice(0, 2)}/${a.key}.png`,
      ]);
      const head = await client.send(
        new HeadObjectCommand({ Bucket: s3.bucket, Key: listed.Contents![0]!.Key })
      );
      assert.equal(head.ContentType, "image/png");
      assert.equal(head.ContentLength, a.bytes.length);
    } finally {
      client.destroy();
    }
    assert.equal(store.location, `s3://${s3.bucket}/${prefix} at ${s3.endpoint}`);
    expect(store.dirs).toStrictEqual([]);
  });

  it("reads s3:// URLs and refuses others with the reason", () => {
    expect(parseS3Url("s3://lumen-images")).toStrictEqual({ bucket: "lumen-images", prefix: "" });
    expect(parseS3Url("s3://lumen-images/")).toStrictEqual({ bucket: "lumen-images", prefix: "" });
    expect(parseS3Url("s3://lumen-images/prod/images/")).toStrictEqual({
      bucket: "lumen-images",
      prefix: "prod/images/",
    });
    expect(parseS3Url("s3://lumen-images/prod")).toStrictEqual({
      bucket: "lumen-images",
      prefix: "prod/",
    });
    for (const bad of [
      "https://lumen-images/x",
      "s3://",
      "s3://Lumen_Images",
      "s3://ab",
      "/srv/images",
      "s3://lumen-images/x?versionId=1",
    ]) {
      assert.throws(() => parseS3Url(bad), RangeError, bad);
    }
  });

  it("is configured with LUMEN_BLOB_URL and the LUMEN_S3_* settings, which are checked", () => {
    const env = {
      LUMEN_BLOB_URL: "s3://lumen-images/prod",
      LUMEN_S3_ENDPOINT: "http://127.0.0.1:9000",
      LUMEN_S3_FORCE_PATH_STYLE: "false",
      LUMEN_S3_REGION: "eu-west-1",
    };
    const config = loadConfig({}, env);
    expect([
      config.blobUrl,
      config.s3Endpoint,
      config.s3ForcePathStyle,
      config.s3Region,
    ]).toStrictEqual(["s3://lumen-images/prod", "http://127.0.0.1:9000", false, "eu-west-1"]);
    const refused: Array<[Record<string, string>, RegExp]> = [
      [{ LUMEN_BLOB_URL: "s3://Bad_Bucket" }, /blobUrl: .*bucket name/],
      [{ LUMEN_BLOB_URL: "/srv/images" }, /blobUrl: .*not an s3:\/\/bucket\/prefix URL/],
      [
        { LUMEN_BLOB_URL: "s3://lumen-images", LUMEN_IMAGES_DIR: "/srv/images" },
        /exclude each other/,
      ],
      [
        { LUMEN_S3_ENDPOINT: "http://127.0.0.1:9000" },
        /LUMEN_BLOB_URL=s3:\/\/bucket\/prefix is required/,
      ],
      [
        { LUMEN_BLOB_URL: "s3://lumen-images", LUMEN_S3_ENDPOINT: "ftp://host" },
        /s3Endpoint: must be an http or https URL/,
      ],
    ];
    for (const [bad, message] of refused)
      assert.throws(
        () => loadConfig({}, bad),
        (e: Error) => e instanceof ConfigError && message.test(e.message),
        JSON.stringify(bad)
      );
  });

  it("names a bucket that does not exist, in operations, in the probe and at start-up", async () => {
    const store = bucketStore({ bucket: "no-such-bucket" });
    const a = blob("nowhere");
    const error = await storageFailure(store.put(a.key, a.bytes), "no-such-bucket");
    assert.equal(error.reason, "NoSuchBucket");
    assert.match(error.message, /the bucket no-such-bucket does not exist \(NoSuchBucket\)/);
    assert.equal((await storageFailure(store.get(a.key), "no-such-bucket")).reason, "NoSuchBucket");
    assert.equal((await store.probe())?.reason, "NoSuchBucket");

    const env = { AWS_ACCESS_KEY_ID: S3_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: S3_SECRET };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const started = openConfiguredStore(
        {
          dataDir: "/nonexistent-lumen-data",
          blobUrl: "s3://no-such-bucket/x",
          s3Endpoint: s3.endpoint,
        },
        env
      );
      const startError = await storageFailure(started, "no-such-bucket");
      assert.match(startError.message, /^the image bucket cannot be written: .*does not exist/);
    } finally {
      process.env = saved;
    }
  });

  it("names refused credentials, and writes nothing with them", async () => {
    const store = bucketStore({ accessKeyId: "NOT-A-KEY" });
    const a = blob("refused");
    const error = await storageFailure(store.put(a.key, a.bytes));
    assert.match(error.message, /refused the credentials/);
    assert.ok(["InvalidAccessKeyId", "AccessDenied"].includes(error.reason), error.reason);
    assert.match(
      (await storageFailure(store.get(a.key))).message,
      /refused the credentials.*\(InvalidAccessKeyId\)/
    );
    assert.match((await store.probe())!.message, /refused the credentials/);
    assert.equal(
      await bucketStore({ prefix: parseS3Url(store.location.split(" ")[0]!).prefix }).has(a.key),
      false
    );
  });

  it("fails clearly while the server is stopped, and carries on with every blob when it is back", async () => {
    const store = bucketStore();
    const a = blob("before the stop");
    const b = blob("during the stop");
    await store.put(a.key, a.bytes);
    await s3.stop();
    try {
      for (const op of [
        () => store.get(a.key),
        () => store.has(a.key),
        () => store.put(b.key, b.bytes),
        () => store.remove(a.key),
      ]) {
        const error = await storageFailure(op());
        // A kept-alive connection the server closed is reset; a new one is refused.
        assert.match(error.reason, /^(ECONNREFUSED|ECONNRESET)$/);
        assert.match(error.message, /the object storage server cannot be reached/);
      }
      assert.match((await store.probe())!.reason, /^(ECONNREFUSED|ECONNRESET)$/);
    } finally {
      await s3.start();
    }
    assert.equal(await store.probe(), undefined);
    // what was written before the stop is still there
    expect(await store.get(a.key)).toStrictEqual(a.bytes);
    assert.equal(await store.has(b.key), false, "nothing was written while it was stopped");
    assert.equal(await store.put(b.key, b.bytes), true);
  });
});

describe("the service with images in S3", () => {
  const saved = { ...process.env };
  beforeAll(() => {
    // The SDK's own credential chain, as an operator configures it.
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: S3_SECRET,
    });
  });
  afterAll(() => {
    process.env = saved;
  });
  const small = { width: 64, height: 64, steps: 2 };

  async function until<T>(
    what: string,
    probe: () => Promise<T | undefined>,
    timeoutMs = 20_000
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it("stores and serves images from the bucket; with the server stopped it answers 503, is not ready and crashes nothing; then it recovers", async () => {
    const prefix = `service-${randomUUID()}`;
    const server = await startTestServer({
      blobUrl: `s3://${s3.bucket}/${prefix}`,
      s3Endpoint: s3.endpoint,
    });
    try {
      const generate = async () => {
        const res = await server.api("/api/generations", {
          method: "POST",
          json: { prompt: "a lake", seed: 3, ...small },
        });
        assert.equal(res.status, 202);
        const { id } = await res.json();
        return {
          id: id as string,
          events: await readEvents(await server.api(`/api/generations/${id}/events`)),
        };
      };
      const first = await generate();
      expect(first.events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });
      const image = await server.api(`/api/images/${first.id}-0.png`);
      assert.equal(image.status, 200);
      const png = Buffer.from(await image.arrayBuffer());
      expect([...png.subarray(1, 4)]).toStrictEqual([...Buffer.from("PNG")]);
      const client = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials,
      });
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` })
      );
      client.destroy();
      assert.equal(
        listed.Contents?.filter((o) => o.Key!.endsWith(".png")).length,
        1,
        "the image is an object in the bucket"
      );

      await s3.stop();
      // A job accepted before the node noticed: it fails with storage_unavailable and keeps no image.
      const lost = await generate();
      expect(lost.events.at(-1)?.type).toStrictEqual("error");
      assert.equal(lost.events.at(-1)?.data.code, "storage_unavailable");
      expect((await (await server.api(`/api/generations/${lost.id}`)).json()).images).toStrictEqual(
        []
      );

      const stored = await server.api(`/api/images/${first.id}-0.png`);
      assert.equal(stored.status, 503);
      assert.ok(Number(stored.headers.get("retry-after")) >= 1);
      assert.equal((await stored.json()).error.code, "storage_unavailable");

      const notReady = await until("/readyz to name the bucket", async () => {
        const res = await server.api("/readyz");
        const body = await res.json();
        return res.status === 503 && body.detail.includes(`s3://${s3.bucket}/`) ? body : undefined;
      });
      assert.equal(notReady.status, "storage_unavailable");
      assert.match(notReady.detail, /cannot be reached.*\((ECONNREFUSED|ECONNRESET)\)/);
      const refused = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake", ...small },
      });
      assert.equal(refused.status, 503);
      assert.equal((await refused.json()).error.code, "storage_unavailable");
      assert.equal((await server.api("/healthz")).status, 200, "the process is alive");

      await s3.start();
      await until("/readyz to recover", async () =>
        (await server.api("/readyz")).status === 200 ? true : undefined
      );
      const again = await server.api(`/api/images/${first.id}-0.png`);
      assert.equal(again.status, 200);
      assert.ok(
        Buffer.from(await again.arrayBuffer()).equals(png),
        "the same bytes as before the stop"
      );
      const next = await generate();
      expect(next.events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });
    } finally {
      await s3.start();
      await server.stop();
    }
  });
});

describe("lumen serve with LUMEN_BLOB_URL", () => {
  const env = () => ({
    LUMEN_S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: S3_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: S3_SECRET,
  });

  it("keeps a process's images in the bucket named by the environment", async () => {
    const prefix = `process-${randomUUID()}`;
    const server = await spawnServer({
      dataDir: tempDir(),
      env: { ...env(), LUMEN_BLOB_URL: `s3://${s3.bucket}/${prefix}` },
    });
    try {
      await server.waitReady();
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake", width: 64, height: 64, steps: 2 },
      });
      assert.equal(res.status, 202);
      const { id } = await res.json();
      const events = await readEvents(await server.api(`/api/generations/${id}/events`));
      expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });
      const image = await server.api(`/api/images/${id}-0.png`);
      assert.equal(image.status, 200);
      const bytes = Buffer.from(await image.arrayBuffer());
      const client = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: "us-east-1",
        credentials,
      });
      try {
        const listed = await client.send(
          new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` })
        );
        const keys = (listed.Contents ?? []).map((o) => o.Key!);
        assert.equal(keys.length, 1, keys.join(", "));
        assert.match(keys[0]!, new RegExp(`^${prefix}/[0-9a-f]{2}/[0-9a-f]{64}\\.png$`));
        assert.equal(bytes.length, listed.Contents![0]!.Size);
      } finally {
        client.destroy();
      }
    } finally {
      await server.kill();
    }
  });

  it("refuses to start on a bucket that does not exist, naming it and the cause", async () => {
    const started = spawnServer({
      dataDir: tempDir(),
      env: { ...env(), LUMEN_BLOB_URL: "s3://no-such-bucket/images" },
    });
    const error = await started.then(
      (server) => (void server.kill(), assert.fail("it started")),
      (e: Error) => e
    );
    const last = error.message.trim().split("\n").at(-1)!;
    assert.match(
      last,
      /^lumen: error: the image bucket cannot be written: s3:\/\/no-such-bucket\/images\/ at http:\/\/127\.0\.0\.1:\d+: writing a probe object: the bucket no-such-bucket does not exist \(NoSuchBucket\)$/
    );
  });
});
