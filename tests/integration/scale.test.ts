// Scaled out on real Redis and PostgreSQL: an API node and a worker node (each a whole server in
// its own role) share the queue, the event bus, the database and the images directory.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";
import { havePostgres, haveRedis, startPostgres, startRedis, type PostgresServer, type RedisServer } from "../helpers/services";

const skip = (haveRedis && havePostgres) || process.env.CI ? false : "redis-server and PostgreSQL are not installed";
const small = { width: 64, height: 64, steps: 2 };

describe("an API node and a worker on Redis and PostgreSQL", { skip }, () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let api: TestServer;
  let worker: TestServer;
  const imagesDir = mkdtempSync(join(tmpdir(), "lumen-shared-images-"));

  before(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const shared = { redisUrl: redis.url, redisPrefix: `scale-${process.pid}`, databaseUrl: await postgres.createDatabase(), imagesDir };
    worker = await startTestServer({ ...shared, role: "worker" });
    api = await startTestServer({ ...shared, role: "api" });
  });
  after(async () => {
    await api?.stop();
    await worker?.stop();
    await Promise.all([redis?.close(), postgres?.close()]);
    rmSync(imagesDir, { recursive: true, force: true });
  });

  it("generates through the API node on the worker: events, history and the image come from the shared parts", async () => {
    const res = await api.api("/api/generations", { method: "POST", json: { prompt: "a lake at dusk", ...small } });
    assert.equal(res.status, 202);
    const { id } = await res.json();
    const events = await readEvents(await api.api(`/api/generations/${id}/events`));
    const types = events.map((e) => e.type);
    assert.deepEqual([types[0], types.includes("started"), types.includes("image"), types.at(-1)], ["queued", true, true, "done"]);
    const image = events.find((e) => e.type === "image")!;
    const png = await api.api(image.data.url);
    assert.equal(png.status, 200);
    assert.equal(png.headers.get("content-type"), "image/png");
    const g = await (await api.api(`/api/generations/${id}`)).json();
    assert.equal(g.status, "done");
    assert.equal(g.images.length, 1);
    assert.equal(worker.workers!.runningJobs().length, 0);
  });

  it("cancels a job on the worker from the API node", async () => {
    const res = await api.api("/api/generations", { method: "POST", json: { prompt: "a long walk", width: 512, height: 512, steps: 50 } });
    assert.equal(res.status, 202);
    const { id } = await res.json();
    const stream = api.api(`/api/generations/${id}/events`).then(readEvents);
    for (let i = 0; i < 600 && !worker.workers!.runningJobs().includes(id); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(worker.workers!.runningJobs().includes(id), "the worker runs the job");
    assert.equal((await api.api(`/api/generations/${id}`, { method: "DELETE" })).status, 202);
    const events = await stream;
    assert.deepEqual(events.at(-1), { type: "done", data: { status: "cancelled" } });
    assert.equal((await (await api.api(`/api/generations/${id}`)).json()).status, "cancelled");
  });

  it("reports workers by model and their utilisation in the API node's /metrics", async () => {
    const metrics = await (await api.api("/metrics")).text();
    assert.match(metrics, /^lumen_workers\{model="sd15"\} 1$/m);
    assert.match(metrics, /^lumen_worker_utilisation\{worker="[^"]+",device="cpu"\} [\d.]+$/m);
    assert.match(metrics, /^lumen_queue_depth\{state="waiting"\} 0$/m);
  });

  it("answers the OpenAI endpoint unchanged", async () => {
    const res = await api.api("/v1/images/generations", { method: "POST", json: { prompt: "a lighthouse", size: "64x64", response_format: "b64_json" } });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json();
    assert.equal(Buffer.from(body.data[0].b64_json, "base64").subarray(1, 4).toString(), "PNG");
  });
});
