// Scaled out on real Redis and PostgreSQL: an API node and a worker node (each a whole server in
// its own role) share the queue, the event bus, the database and the images directory.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "@jest/globals";
import sharp from "sharp";
import { readContentCredentials } from "../../backend/provenance";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";
import {
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
const small = { width: 64, height: 64, steps: 2 };

/** Images a node made, by model, from its /metrics. */
async function imagesMade(node: TestServer): Promise<Record<string, number>> {
  const text = await (await node.api("/metrics")).text();
  return Object.fromEntries(
    [...text.matchAll(/^lumen_images_generated_total\{model="([^"]+)"\} (\d+)$/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ])
  );
}

describeUnless(skip)("an API node and a worker on Redis and PostgreSQL", () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let api: TestServer;
  let worker: TestServer;
  const imagesDir = mkdtempSync(join(tmpdir(), "lumen-shared-images-"));
  let shared: Record<string, string>;

  beforeAll(async () => {
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    shared = {
      redisUrl: redis.url,
      redisPrefix: `scale-${process.pid}`,
      databaseUrl: await postgres.createDatabase(),
      imagesDir,
    };
    // Two models, so an arena battle between them runs both pictures here.
    worker = await startTestServer({ ...shared, role: "worker", workerModels: ["sd15", "sd21"] });
    api = await startTestServer({ ...shared, role: "api" });
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await Promise.all([redis?.close(), postgres?.close()]);
    rmSync(imagesDir, { recursive: true, force: true });
  });

  it("generates through the API node on the worker: events, history and the image come from the shared parts", async () => {
    const res = await api.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dusk", ...small },
    });
    assert.equal(res.status, 202);
    const { id } = await res.json();
    const events = await readEvents(await api.api(`/api/generations/${id}/events`));
    const types = events.map((e) => e.type);
    expect([
      types[0],
      types.includes("started"),
      types.includes("image"),
      types.at(-1),
    ]).toStrictEqual(["queued", true, true, "done"]);
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
    const res = await api.api("/api/generations", {
      method: "POST",
      json: { prompt: "a long walk", width: 512, height: 512, steps: 50 },
    });
    assert.equal(res.status, 202);
    const { id } = await res.json();
    const stream = api.api(`/api/generations/${id}/events`).then(readEvents);
    for (let i = 0; i < 600 && !worker.workers!.runningJobs().includes(id); i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(worker.workers!.runningJobs().includes(id), "the worker runs the job");
    assert.equal((await api.api(`/api/generations/${id}`, { method: "DELETE" })).status, 202);
    const events = await stream;
    expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "cancelled" } });
    assert.equal((await (await api.api(`/api/generations/${id}`)).json()).status, "cancelled");
  });

  it("reports workers by model and their utilisation in the API node's /metrics", async () => {
    const metrics = await (await api.api("/metrics")).text();
    assert.match(metrics, /^lumen_workers\{model="sd15"\} 1$/m);
    assert.match(metrics, /^lumen_worker_utilisation\{worker="[^"]+",device="cpu"\} [\d.]+$/m);
    assert.match(metrics, /^lumen_queue_depth\{state="waiting"\} 0$/m);
  });

  it("gives the worker the starting picture sent to the API node, through the queue", async () => {
    const picture = await sharp({
      create: { width: 96, height: 64, channels: 3, background: "#4a7" },
    })
      .png()
      .toBuffer();
    const image = `data:image/png;base64,${picture.toString("base64")}`;
    const res = await api.api("/api/generations", {
      method: "POST",
      json: { prompt: "the same hills in snow", image, strength: 0.5, steps: 4 },
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = await res.json();
    const events = await readEvents(await api.api(`/api/generations/${id}/events`));
    // Half of 4 steps from the picture: the worker started from it, not from noise.
    expect(events.find((e) => e.type === "started")?.data).toStrictEqual({ steps: 2, n: 1 });
    const made = events.find((e) => e.type === "image")!.data as {
      url: string;
      width: number;
      height: number;
    };
    assert.ok(
      made.width > made.height,
      `${made.width}×${made.height} keeps the picture's landscape aspect`
    );
    const png = Buffer.from(await (await api.api(made.url)).arrayBuffer());
    const report = (await readContentCredentials(png))!;
    // the worker names the picture as what it edited
    expect(report.manifest.actions.map((a) => a.action)).toStrictEqual([
      "c2pa.opened",
      "c2pa.edited",
    ]);
    expect(report.manifest.ingredients.map((i) => i.relationship)).toStrictEqual(["parentOf"]);
  });

  it("runs both pictures of an arena battle on the worker; the battle and its one vote per person hold across API nodes", async () => {
    // A second API node, at a small size so the two pictures are quick; the arena pairs its two allowed models.
    const arenaApi = await startTestServer({
      ...shared,
      role: "api",
      maxSize: 128,
      allowedModels: ["sd15", "sd21"],
    });
    try {
      const madeBefore = await imagesMade(worker);
      const res = await arenaApi.api("/api/arena/battles", {
        method: "POST",
        json: { prompt: "a misty lake at dawn" },
      });
      assert.equal(res.status, 201, await res.clone().text());
      const battle = (await res.json()) as {
        id: string;
        left: { imageUrl: string };
        right: { imageUrl: string };
      };
      const madeAfter = await imagesMade(worker);
      // the worker made one picture with each contender's model
      expect(["sd15", "sd21"].map((m) => (madeAfter[m] ?? 0) - (madeBefore[m] ?? 0))).toStrictEqual(
        [1, 1]
      );
      for (const side of [battle.left, battle.right]) {
        const png = await api.api(side.imageUrl);
        assert.equal(
          png.status,
          200,
          "the other API node serves the battle's pictures from the shared database and images"
        );
        assert.equal(png.headers.get("content-type"), "image/png");
      }
      const vote = await api.api(`/api/arena/battles/${battle.id}/vote`, {
        method: "POST",
        json: { winner: "left" },
      });
      assert.equal(vote.status, 200, await vote.clone().text());
      const reveal = await vote.json();
      expect([reveal.left.contender, reveal.right.contender].sort()).toStrictEqual([
        "sd15",
        "sd21",
      ]);
      const again = await arenaApi.api(`/api/arena/battles/${battle.id}/vote`, {
        method: "POST",
        json: { winner: "right" },
      });
      assert.equal(again.status, 409, "a second vote through another API node is refused");
      const board = await (await arenaApi.api("/api/arena/leaderboard")).json();
      assert.equal(board.votes, 1);
      expect(board.contenders.map((c: { name: string }) => c.name).sort()).toStrictEqual([
        "sd15",
        "sd21",
      ]);
    } finally {
      await arenaApi.stop();
    }
  });

  it("answers the OpenAI endpoint unchanged", async () => {
    const res = await api.api("/v1/images/generations", {
      method: "POST",
      json: { prompt: "a lighthouse", size: "64x64", response_format: "b64_json" },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const body = await res.json();
    assert.equal(Buffer.from(body.data[0].b64_json, "base64").subarray(1, 4).toString(), "PNG");
  });
});
