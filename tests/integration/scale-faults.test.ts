// Faults of a scaled-out service, on a real Redis and a real PostgreSQL, with every node a
// `lumen serve` process of its own in its own process group: a worker killed mid-job, Redis
// stopped and started again, an API node restarted under an open event stream, and a burst of
// 200 requests across two API nodes and two workers. Loopback only; each test starts the nodes
// it needs on its own queue prefix and database and stops them.
import { strict as assert } from "node:assert";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "@jest/globals";
import pg from "pg";
import { spawnServer, type ServerProcess } from "../helpers/process-server";
import { followEvents, readEventsWithIds } from "../helpers/server";
import {
  freePort,
  havePostgres,
  haveRedis,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from "../helpers/services";
import { describeUnless } from "../helpers/skip";

const skip =
  (haveRedis && havePostgres) || process.env.CI
    ? false
    : "redis-server and PostgreSQL are not installed";

const work = mkdtempSync(join(tmpdir(), "lumen-scale-faults-"));
let redis: RedisServer;
let postgres: PostgresServer;
const started: ServerProcess[] = [];

beforeAll(async () => {
  if (skip) return;
  // Persistent, as docs/SCALING.md asks of a production Redis: a restart keeps the queue.
  [redis, postgres] = await Promise.all([startRedis({ persistent: true }), startPostgres()]);
});
afterAll(async () => {
  await Promise.all(started.map((node) => node.kill().catch(() => undefined)));
  await Promise.all([redis?.close(), postgres?.close()]);
  rmSync(work, { recursive: true, force: true });
});

/** What the nodes of one test share: a queue prefix, a database and an images directory. */
interface Cluster {
  env: Record<string, string>;
  databaseUrl: string;
}

let clusters = 0;
async function cluster(): Promise<Cluster> {
  const name = `faults${++clusters}`;
  const databaseUrl = await postgres.createDatabase();
  const imagesDir = mkdtempSync(join(work, `${name}-images-`));
  return {
    databaseUrl,
    env: {
      LUMEN_REDIS_URL: redis.url,
      LUMEN_REDIS_PREFIX: name,
      LUMEN_DATABASE_URL: databaseUrl,
      LUMEN_IMAGES_DIR: imagesDir,
      LUMEN_LOG_LEVEL: "warn",
    },
  };
}

const logs = new Map<ServerProcess, string>();

/** A node of the cluster, ready to serve; its log (warnings and errors) goes to a file. */
async function node(
  c: Cluster,
  role: "api" | "worker",
  env: Record<string, string> = {},
  port?: number
): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(work, `${role}-`));
  const log = join(dataDir, "lumen.log");
  const fd = openSync(log, "a");
  let server: ServerProcess;
  try {
    server = await spawnServer({
      dataDir,
      port,
      stdout: fd,
      env: { ...c.env, LUMEN_ROLE: role, ...env },
    });
  } finally {
    closeSync(fd);
  }
  started.push(server);
  logs.set(server, `${role} ${log}`);
  await server.waitReady(120_000);
  return server;
}

/** On a failure, the end of each node's log and stderr: what the nodes saw. */
function printLogs(nodes: Array<ServerProcess | undefined>): void {
  for (const n of nodes) {
    if (!n) continue;
    const [role, file] = logs.get(n)!.split(" ");
    const tail = (text: string) => text.trimEnd().split("\n").slice(-20).join("\n");
    console.error(
      `--- ${role} ${n.url} (pid ${n.child.pid}, exit ${n.child.exitCode ?? n.child.signalCode ?? "none"})\n${tail(readFileSync(file, "utf8"))}\n${tail(n.stderr())}`
    );
  }
}

async function stop(...nodes: ServerProcess[]): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill().catch(() => undefined)));
}

async function sql<T extends pg.QueryResultRow>(
  c: Cluster,
  text: string,
  values: unknown[] = []
): Promise<T[]> {
  const client = new pg.Client(c.databaseUrl);
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 60_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A counter's value in a Prometheus text page, summed over the series whose labels include `having`. */
function counter(metrics: string, name: string, having = ""): number {
  return metrics
    .split("\n")
    .filter(
      (line) =>
        (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && line.includes(having)
    )
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** Images a worker finished: delivered, or withheld by the image filter. */
async function imagesMade(worker: ServerProcess): Promise<number> {
  const metrics = await (await worker.api("/metrics")).text();
  return (
    counter(metrics, "lumen_images_generated_total") +
    counter(metrics, "lumen_safety_blocks_total", 'kind="image"')
  );
}

async function submit(api: ServerProcess, body: Record<string, unknown>): Promise<string> {
  const res = await api.api("/api/generations", { method: "POST", json: body });
  assert.equal(res.status, 202, await res.clone().text());
  return (await res.json()).id;
}

/**
 * Ids increase, each image index comes once (delivered, or withheld by the image filter), and
 * exactly one terminal event ends the stream: a done.
 */
function assertCompleteStream(
  events: Array<{ id: string | undefined; type: string; data: Record<string, any> }>,
  n: number,
  label: string
): void {
  const ids = events.map((e) => Number(e.id));
  assert.ok(
    ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > ids[i - 1])),
    `${label}: event ids increase (${ids.join(", ")})`
  );
  const indices = events
    .filter((e) => e.type === "image" || e.type === "blocked")
    .map((e) => e.data.index as number);
  expect({
    message: `${label}: each image once (${indices.join(", ")})`,
    actual: [...indices].sort(),
  }).toStrictEqual({
    message: `${label}: each image once (${indices.join(", ")})`,
    actual: Array.from({ length: n }, (_, i) => i),
  });
  const terminal = events.filter((e) => e.type === "done" || e.type === "error");
  assert.equal(
    terminal.length,
    1,
    `${label}: one final event (${events.map((e) => e.type).join(", ")})`
  );
  assert.ok(
    ["done", "blocked"].includes(terminal[0].data.status),
    `${label}: ${JSON.stringify(terminal[0])}`
  );
  assert.equal(events.at(-1)!.type, "done", label);
}

describeUnless(skip)("scaled out on Redis and PostgreSQL, under faults", () => {
  it("a worker killed with SIGKILL mid-job: another worker takes its jobs, each completes exactly once, no image is made twice", async () => {
    const c = await cluster();
    // A short lock so that the dead worker's jobs are found stalled within seconds.
    const lock = { LUMEN_JOB_LOCK_MS: "2000" };
    const [api, first] = await Promise.all([node(c, "api"), node(c, "worker", lock)]);
    let second: ServerProcess | undefined;
    try {
      const n = 4;
      const ids: string[] = [];
      // The worker is held while the jobs are queued and their streams open, so that it starts on
      // them only once the test listens.
      first.signal("SIGSTOP");
      for (let i = 0; i < 3; i++)
        ids.push(
          await submit(api, {
            prompt: `a harbour at dawn, boat ${i}`,
            n,
            width: 128,
            height: 128,
            steps: 4,
          })
        );
      const streams = await Promise.all(
        ids.map(async (id) =>
          followEvents(
            await api.api(`/api/generations/${id}/events`, { signal: AbortSignal.timeout(240_000) })
          )
        )
      );
      first.signal("SIGCONT");

      // The first image is stored and announced while the others of its batch are still on their
      // way: freeze the worker there, so that what it stored can be counted, then kill it.
      await Promise.race(streams.map((s) => s.until((e) => e.type === "image")));
      first.signal("SIGSTOP");
      const atKill = await Promise.all(
        ids.map(async (id) => (await api.api(`/api/generations/${id}`)).json())
      );
      const stored = atKill.reduce((sum, g) => sum + g.images.length, 0);
      assert.ok(
        atKill.some((g) => g.status === "running" && g.images.length < n),
        `the worker was stopped mid-job (${atKill.map((g) => `${g.status} with ${g.images.length} images`).join(", ")})`
      );
      await first.kill();

      second = await node(c, "worker", lock);
      const outcomes = await Promise.all(streams.map((s) => s.closed));
      expect(outcomes).toStrictEqual(ids.map(() => "ended"));
      for (const [k, s] of streams.entries()) assertCompleteStream(s.events, n, `job ${k}`);

      for (const id of ids) {
        const g = await (await api.api(`/api/generations/${id}`)).json();
        assert.equal(g.status, "done");
        expect(g.images.map((i: { index: number }) => i.index).sort()).toStrictEqual([0, 1, 2, 3]);
        for (const image of g.images.filter((i: { url: string | null }) => i.url))
          assert.equal((await api.api(image.url)).status, 200, image.url);
      }
      // The second worker made exactly the images the first had not stored: none again.
      const made = await imagesMade(second);
      assert.equal(
        made,
        ids.length * n - stored,
        `images made after the kill (${stored} were stored before it)`
      );
      const [{ rows }] = await sql<{ rows: string }>(c, "SELECT count(*) AS rows FROM images");
      assert.equal(Number(rows), ids.length * n);
    } catch (e) {
      printLogs([api, first, second]);
      throw e;
    } finally {
      await stop(api, first, ...(second ? [second] : []));
    }
  }, 300_000);

  it("Redis stopped: the API answers 503 queue_unavailable and nothing crashes; Redis started again: queued and new work completes", async () => {
    const c = await cluster();
    const [api, worker] = await Promise.all([node(c, "api"), node(c, "worker")]);
    let redisDown = false;
    try {
      const small = { width: 64, height: 64, steps: 2 };
      const before = await submit(api, { prompt: "a lake before the outage", ...small });
      await readEventsWithIds(await api.api(`/api/generations/${before}/events`));

      // A job accepted while the worker is busy elsewhere (frozen here) waits in Redis through the outage.
      worker.signal("SIGSTOP");
      const waiting = await submit(api, { prompt: "a lake through the outage", ...small });
      await redis.stop();
      redisDown = true;
      worker.signal("SIGCONT");

      for (const [path, body] of [
        ["/api/generations", { prompt: "a lake during the outage", ...small }],
        [
          "/v1/images/generations",
          { prompt: "a lake during the outage", size: "64x64", response_format: "b64_json" },
        ],
      ] as const) {
        const res = await api.api(path, { method: "POST", json: body });
        assert.equal(res.status, 503, path);
        assert.equal(res.headers.get("retry-after"), "5", path);
        const { error } = await res.json();
        assert.equal(error.code, "queue_unavailable", path);
        assert.match(error.message, /job queue cannot be reached/, path);
      }
      const stream = await api.api(`/api/generations/${waiting}/events`);
      assert.equal(
        stream.status,
        503,
        "a stream that cannot follow the queue is refused, not opened and broken"
      );
      assert.equal((await stream.json()).error.code, "queue_unavailable");
      // History and images come from PostgreSQL and the images directory, which are up.
      const history = await (await api.api(`/api/generations/${before}`)).json();
      assert.equal(history.status, "done");
      assert.equal((await api.api(history.images[0].url)).status, 200);
      for (const n of [api, worker]) {
        assert.equal((await n.api("/healthz")).status, 200);
        const ready = await n.api("/readyz");
        assert.equal(ready.status, 503, "not ready for generations");
        assert.equal((await ready.json()).status, "queue_unavailable");
        // Still scraped; what only the queue knows is left out rather than stale.
        const metrics = await n.api("/metrics");
        assert.equal(metrics.status, 200);
        assert.doesNotMatch(await metrics.text(), /^lumen_queue_depth\{/m);
        assert.equal(n.child.exitCode, null, n.stderr());
      }
      // The refused requests left nothing in the history that looks queued.
      const stuck = await sql(
        c,
        "SELECT id, status FROM generations WHERE status IN ('queued', 'running') AND id <> $1",
        [waiting]
      );
      expect(stuck).toStrictEqual([]);

      await redis.start();
      redisDown = false;
      const after = await until("the API to queue again", async () => {
        const res = await api.api("/api/generations", {
          method: "POST",
          json: { prompt: "a lake after the outage", ...small },
        });
        return res.status === 202 ? ((await res.json()).id as string) : undefined;
      });
      for (const id of [waiting, after]) {
        const events = await readEventsWithIds(
          await api.api(`/api/generations/${id}/events`, { signal: AbortSignal.timeout(120_000) })
        );
        assert.equal(events.at(-1)?.type, "done", `${id}: ${events.map((e) => e.type).join(", ")}`);
        assert.equal((await (await api.api(`/api/generations/${id}`)).json()).status, "done");
      }
      assert.equal(worker.child.exitCode, null, worker.stderr());
    } catch (e) {
      printLogs([api, worker]);
      throw e;
    } finally {
      worker.signal("SIGCONT");
      if (redisDown) await redis.start();
      await stop(api, worker);
    }
  }, 300_000);

  it("an API node restarted (SIGKILL) during an event stream: the client reconnects with Last-Event-ID and receives the rest", async () => {
    const c = await cluster();
    const port = await freePort();
    // A lock longer than any restart here: the worker is frozen meanwhile and must not be taken for dead.
    const [api, worker] = await Promise.all([
      node(c, "api", {}, port),
      node(c, "worker", { LUMEN_JOB_LOCK_MS: "120000" }),
    ]);
    let restarted: ServerProcess | undefined;
    try {
      const n = 3;
      worker.signal("SIGSTOP"); // until the stream is open
      const id = await submit(api, {
        prompt: "a valley under snow",
        n,
        width: 128,
        height: 128,
        steps: 8,
      });
      const first = followEvents(await api.api(`/api/generations/${id}/events`));
      await first.until((e) => e.type === "queued");
      worker.signal("SIGCONT");
      await first.until((e) => e.type === "image");
      // The job stays mid-run for as long as the restart takes, whatever the machine's load.
      worker.signal("SIGSTOP");
      await api.kill();
      assert.equal(await first.closed, "broken");
      const lastId = first.events.at(-1)!.id!;
      assert.ok(!first.events.some((e) => e.type === "done"));

      restarted = await node(c, "api", {}, port);
      assert.equal(restarted.url, api.url, "the node comes back on its address");
      assert.notEqual(restarted.child.pid, api.child.pid);
      worker.signal("SIGCONT");
      const rest = await readEventsWithIds(
        await restarted.api(`/api/generations/${id}/events`, {
          headers: { "last-event-id": lastId },
          signal: AbortSignal.timeout(120_000),
        })
      );
      assert.ok(
        Number(rest[0].id) > Number(lastId),
        `the replay starts after ${lastId} (${rest[0].id})`
      );
      assert.ok(
        !rest.some((e) => e.type === "queued" || e.type === "started"),
        "nothing received before is sent again"
      );
      assertCompleteStream([...first.events, ...rest], n, "the stream across the restart");
      assert.equal((await (await restarted.api(`/api/generations/${id}`)).json()).status, "done");
    } catch (e) {
      printLogs([api, worker, restarted]);
      throw e;
    } finally {
      worker.signal("SIGCONT");
      await stop(api, worker, ...(restarted ? [restarted] : []));
    }
  }, 300_000);

  it("200 requests at once across two API nodes and two workers: every accepted job completes once, the excess gets 503 + Retry-After, nothing is lost", async () => {
    const c = await cluster();
    const env = { LUMEN_MAX_QUEUE: "20", LUMEN_RATE_LIMIT_MAX: "100000" };
    const nodes = await Promise.all([
      node(c, "api", env),
      node(c, "api", env),
      node(c, "worker", env),
      node(c, "worker", env),
    ]);
    const [apiA, apiB, w1, w2] = nodes;
    try {
      const answers = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const res = await (i % 2 ? apiB : apiA).api("/api/generations", {
            method: "POST",
            json: { prompt: `a field of poppies, number ${i}`, width: 64, height: 64, steps: 2 },
          });
          return {
            status: res.status,
            retryAfter: res.headers.get("retry-after"),
            body: await res.json(),
          };
        })
      );
      const accepted = answers.filter((a) => a.status === 202).map((a) => a.body.id as string);
      const refused = answers.filter((a) => a.status !== 202);
      assert.ok(
        accepted.length > 0 && refused.length > 0,
        `${accepted.length} accepted, ${refused.length} refused`
      );
      // Beyond the queue's bound: queue_full. On a slow machine a node may also shed load when
      // none of its database connections comes free in time: storage_unavailable, also a 503.
      assert.ok(
        refused.some((r) => r.body.error?.code === "queue_full"),
        "the queue's bound refused some"
      );
      for (const r of refused) {
        assert.equal(r.status, 503, JSON.stringify(r.body));
        assert.ok(
          ["queue_full", "storage_unavailable"].includes(r.body.error.code),
          JSON.stringify(r.body)
        );
        assert.match(r.retryAfter ?? "", /^\d+$/);
        assert.ok(
          Number(r.retryAfter) >= 1 && Number(r.retryAfter) <= 120,
          `Retry-After ${r.retryAfter}`
        );
      }

      const streams = await Promise.all(
        accepted.map(async (id, i) =>
          readEventsWithIds(
            await (i % 2 ? apiA : apiB).api(`/api/generations/${id}/events`, {
              signal: AbortSignal.timeout(240_000),
            })
          )
        )
      );
      for (const [i, events] of streams.entries()) assertCompleteStream(events, 1, accepted[i]);

      // The history holds every accepted generation, done; a refused one is either not there
      // (refused before its row was written) or failed with its code (refused by the shared
      // queue itself, when other nodes filled it in the meantime).
      const rows = await sql<{ status: string; error_code: string | null; count: string }>(
        c,
        "SELECT status, error_code, count(*) FROM generations GROUP BY status, error_code ORDER BY status"
      );
      assert.equal(
        rows.find((r) => r.status === "done")?.count,
        String(accepted.length),
        JSON.stringify(rows)
      );
      const failed = rows.filter((r) => r.status === "failed");
      assert.ok(
        failed.every((r) => ["queue_full", "storage_unavailable"].includes(r.error_code!)),
        JSON.stringify(rows)
      );
      assert.ok(
        failed.reduce((sum, r) => sum + Number(r.count), 0) <= refused.length,
        JSON.stringify(rows)
      );
      assert.equal(rows.length, 1 + failed.length, `no other status: ${JSON.stringify(rows)}`);
      const [{ count }] = await sql<{ count: string }>(c, "SELECT count(*) FROM images");
      assert.equal(Number(count), accepted.length);
      // Made once each, by the two workers together; the shared queue is empty.
      const made = await Promise.all([w1, w2].map(imagesMade));
      assert.equal(made[0] + made[1], accepted.length, `made by each worker: ${made.join(", ")}`);
      const depth = await (await apiA.api("/metrics")).text();
      assert.match(depth, /^lumen_queue_depth\{state="waiting"\} 0$/m);
      assert.match(depth, /^lumen_queue_depth\{state="running"\} 0$/m);
    } catch (e) {
      printLogs(nodes);
      throw e;
    } finally {
      await stop(...nodes);
    }
  }, 300_000);
});
