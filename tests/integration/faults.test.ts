// The faults an unlucky day brings, on real disks: a log on a full file system, a read-only data
// directory at start-up, and a data directory that turns read-only or full under a running job.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { promisify } from "node:util";
import {
  canMount,
  faultsUnavailable,
  faultyDir,
  isRoot,
  nobody,
  type FaultyDir,
} from "../helpers/disk-faults";
import { serverEnv, spawnServer } from "../helpers/process-server";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";
import { skipNow } from "../helpers/skip";

const work = mkdtempSync(join(tmpdir(), "lumen-faults-"));
const mounted: FaultyDir[] = [];
afterAll(() => {
  for (const dir of mounted) dir.dispose();
  rmSync(work, { recursive: true, force: true });
});

const bin = join(import.meta.dirname, "..", "..", "bin", "lumen.js");
const small = { width: 64, height: 64, steps: 2 };
const files = (dir: string) =>
  readdirSync(dir, { recursive: true, withFileTypes: true }).filter(
    (e) => e.isFile() && !e.name.startsWith(".")
  ).length;

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a log destination that is full", () => {
  it("drops and counts log lines while the server keeps answering, generating and stopping on SIGTERM", async () => {
    // A real full file system where this process may mount one; otherwise /dev/full, which
    // answers every write with ENOSPC.
    let fd: number;
    if (canMount()) {
      const logs = faultyDir(join(work, "logs"), 64);
      mounted.push(logs);
      logs.inflict("full");
      fd = openSync(join(logs.path, "lumen.log"), "a");
    } else {
      fd = openSync("/dev/full", "w");
    }
    const dataDir = join(work, "log-data");
    mkdirSync(dataDir);
    const server = await spawnServer({ dataDir, stdout: fd, env: { LUMEN_LOG_LEVEL: "info" } });
    closeSync(fd);
    try {
      // Each request is logged with its headers: about 12 kB a line, beyond the 1 MiB buffer in 100.
      const padding = "x".repeat(12_000);
      for (let i = 0; i < 100; i++) {
        const res = await server.api("/api/models", { headers: { "x-padding": padding } });
        assert.equal(res.status, 200);
        await res.arrayBuffer();
      }
      assert.equal((await server.api("/healthz")).status, 200);
      const metrics = await (await server.api("/metrics")).text();
      const dropped = Number(/^lumen_log_lines_dropped_total (\d+)/m.exec(metrics)?.[1]);
      assert.ok(dropped >= 1, `dropped lines are counted: ${dropped}`);

      await server.waitReady();
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake", ...small },
      });
      assert.equal(res.status, 202);
      const events = await readEvents(
        await server.api(`/api/generations/${(await res.json()).id}/events`)
      );
      expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });

      server.signal("SIGTERM");
      assert.equal(await server.exited(30_000), 0, server.stderr());
    } finally {
      await server.kill().catch(() => undefined);
    }
  });
});

describe("a read-only data directory at start-up", () => {
  it("stops the start with one line that names the path and the cause", async () => {
    const dataDir = join(work, "read-only");
    let runAs: { uid: number; gid: number } | undefined;
    if (canMount()) {
      const dir = faultyDir(dataDir, 256);
      mounted.push(dir);
      dir.inflict("read-only");
    } else {
      mkdirSync(dataDir);
      chmodSync(dataDir, 0o555);
      // Root ignores permissions: the server then runs as nobody, whom they do stop (and who must
      // be able to reach the directory: mkdtemp made its parent private).
      if (isRoot) {
        runAs = nobody();
        if (!runAs) return skipNow("root may not mount here and there is no user nobody to run as");
        chmodSync(work, 0o755);
      }
    }
    const run = await promisify(execFile)(
      process.execPath,
      [bin, "serve", "--http", "--port", "0", "--host", "127.0.0.1"],
      {
        env: serverEnv(dataDir),
        cwd: work,
        ...runAs,
      }
    ).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr })
    );
    assert.equal(run.code, 1);
    const lines = run.stderr.trim().split("\n");
    assert.equal(lines.length, 1, run.stderr);
    assert.match(lines[0], /^lumen: error: the data directory cannot be written: /);
    assert.ok(lines[0].includes(dataDir), `names ${dataDir}: ${lines[0]}`);
    assert.match(lines[0], /read-only file system \(EROFS\)|permission denied \(EACCES\)/);
  });
});

describe("a data directory that fails under running jobs", () => {
  // Larger than the 32 MiB of free space the server wants for images.
  const setUp = async (size = 64 * 1024) => {
    const dataDir = join(work, `data-${mounted.length}`);
    const images = faultyDir(join(dataDir, "images"), size);
    mounted.push(images);
    const server = await startTestServer({ dataDir, maxBatchImages: 1 });
    return { dataDir, images, server };
  };
  /** Starts a job that runs a while, and resolves with its id and its event stream once it runs. */
  const startSlowJob = async (server: TestServer) => {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake", n: 2, steps: 30, width: 512, height: 512 },
    });
    const { id } = await res.json();
    const stream = await server.api(`/api/generations/${id}/events`);
    return { id, stream };
  };
  const readyz = async (server: TestServer) => {
    const res = await server.api("/readyz");
    return { status: res.status, body: await res.json() };
  };

  for (const fault of ["read-only", "full"] as const) {
    it(`fails a job that cannot store its images (${fault}) with storage_unavailable, keeps none of them, and is not ready until the disk recovers`, async () => {
      const why = faultsUnavailable(fault);
      if (why) return skipNow(why);
      const { images, server } = await setUp();
      if (!images.supports(fault)) {
        await server.stop();
        return skipNow(`a ${fault} disk needs a tmpfs here`);
      }
      try {
        const before = files(images.path);
        const { id, stream } = await startSlowJob(server);
        // Break the disk once the job runs: its images come at the end.
        const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!text.includes("event: started")) text += (await reader.read()).value ?? "";
        images.inflict(fault);
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += value;
        }
        assert.match(text, /event: error\ndata: \{"code":"storage_unavailable"/);
        const generation = await (await server.api(`/api/generations/${id}`)).json();
        expect([generation.status, generation.images]).toStrictEqual(["failed", []]);
        assert.equal(files(images.path), before, "no partial image is kept");

        // Not ready at once; the probe that follows names the directory and the cause.
        const notReady = await until("/readyz to name the images directory", async () => {
          const r = await readyz(server);
          assert.equal(r.status, 503);
          return r.body.detail.includes(images.path) ? r : undefined;
        });
        assert.equal(notReady.body.status, "storage_unavailable");
        assert.ok(notReady.body.detail.includes(images.path), notReady.body.detail);
        assert.match(
          notReady.body.detail,
          fault === "full"
            ? /no space left on the device \(ENOSPC\)/
            : /read-only file system \(EROFS\)|permission denied \(EACCES\)/
        );

        // New work is refused up front, on both endpoints, with a time to come back.
        for (const [path, body] of [
          ["/api/generations", { prompt: "a lake", ...small }],
          ["/v1/images/generations", { prompt: "a lake", size: "64x64" }],
        ] as const) {
          const res = await server.api(path, { method: "POST", json: body });
          assert.equal(res.status, 503, path);
          assert.ok(Number(res.headers.get("retry-after")) >= 1, path);
          assert.equal((await res.json()).error.code, "storage_unavailable", path);
        }

        images.repair();
        await until("/readyz to recover", async () =>
          (await readyz(server)).status === 200 ? true : undefined
        );
        const res = await server.api("/api/generations", {
          method: "POST",
          json: { prompt: "a lake", ...small },
        });
        assert.equal(res.status, 202);
        const events = await readEvents(
          await server.api(`/api/generations/${(await res.json()).id}/events`)
        );
        expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });
      } finally {
        await server.stop();
      }
    });
  }

  it("answers an OpenAI request whose images cannot be stored with 503 storage_unavailable and Retry-After", async () => {
    const why = faultsUnavailable("read-only");
    if (why) return skipNow(why);
    const { images, server } = await setUp();
    try {
      const pending = server.api("/v1/images/generations", {
        method: "POST",
        json: { prompt: "a lighthouse", n: 2, size: "512x512" },
      });
      const id = await until("the OpenAI job to run", async () => {
        const { items } = await (await server.api("/api/generations")).json();
        return items[0]?.status === "running" ? (items[0].id as string) : undefined;
      });
      images.inflict("read-only");
      const res = await pending;
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      assert.equal((await res.json()).error.code, "storage_unavailable");
      expect((await (await server.api(`/api/generations/${id}`)).json()).images).toStrictEqual([]);
      images.repair();
    } finally {
      await server.stop();
    }
  });
});
