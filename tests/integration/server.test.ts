// The real server on a loopback port, with a real model and the real safety filters, driven over
// HTTP as clients drive it: SSE, the official openai client, bad input, limits.
import { strict as assert } from "node:assert";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import OpenAI from "openai";
import sharp from "sharp";
import { readProvenance, TRAINED_ALGORITHMIC_MEDIA } from "../../backend/provenance";
import { fixturesDir } from "../helpers/fixtures";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";

const small = { width: 64, height: 64, steps: 3 };
const UNSAFE = "a photo of a naked woman";

describe("generation API", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  const create = async (body: Record<string, unknown>) => {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dawn", ...small, ...body },
    });
    assert.equal(res.status, 202, await res.clone().text());
    return (await res.json()) as { id: string; links: { events: string } };
  };

  it("is healthy and ready once the model is warm", async () => {
    assert.equal((await server.api("/healthz")).status, 200);
    const ready = await server.api("/readyz");
    assert.equal(ready.status, 200);
    assert.match((await ready.json()).detail, /model sd15 on cpu/);
  });

  it("queues a generation, streams progress with previews, and stores the images", async () => {
    const { id, links } = await create({ n: 2, seed: 42 });
    const events = await readEvents(await server.api(links.events));
    const types = events.map((e) => e.type);
    assert.equal(types[0], "queued");
    assert.ok(types.includes("started"));
    const steps = events.filter((e) => e.type === "step");
    expect(steps.map((e) => e.data.step)).toStrictEqual([1, 2, 3]);
    assert.match(steps[0].data.previews[0], /^data:image\/png;base64,/);
    assert.equal(
      steps[2].data.previews,
      undefined,
      "the last step's preview is the image itself: withheld"
    );
    const images = events.filter((e) => e.type === "image");
    expect(images.map((e) => e.data.seed)).toStrictEqual([42, 43]);
    expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });

    const generation = await (await server.api(`/api/generations/${id}`)).json();
    assert.equal(generation.status, "done");
    assert.equal(generation.prompt, "a lake at dawn");
    assert.equal(generation.images.length, 2);

    // A late subscriber gets the same outcome.
    const replay = await readEvents(await server.api(links.events));
    expect(replay.filter((e) => e.type === "image").map((e) => e.data.id)).toStrictEqual(
      images.map((e) => e.data.id)
    );
  });

  it("serves images as PNG, JPEG or WebP with provenance, and thumbnails", async () => {
    const { id, links } = await create({ seed: 7, width: 128, height: 96 });
    await readEvents(await server.api(links.events));
    const imageId = `${id}-0`;
    const png = Buffer.from(await (await server.api(`/api/images/${imageId}.png`)).arrayBuffer());
    expect(
      await sharp(png)
        .metadata()
        .then((m) => [m.format, m.width, m.height])
    ).toStrictEqual(["png", 128, 96]);
    const meta = await readProvenance(png);
    assert.equal(meta.digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    assert.match(
      meta.parameters!,
      /^a lake at dawn\nSteps: 3, Sampler: .*, Seed: 7, Size: 128x96, Model: sd15/
    );

    for (const [request, format] of [
      [{ path: `/api/images/${imageId}.webp` }, "webp"],
      [{ path: `/api/images/${imageId}`, accept: "image/jpeg" }, "jpeg"],
      [{ path: `/api/images/${imageId}?format=webp` }, "webp"],
    ] as const) {
      const res = await server.api(request.path, {
        headers: "accept" in request ? { accept: request.accept } : {},
      });
      assert.equal(res.headers.get("content-type"), `image/${format}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal((await sharp(bytes).metadata()).format, format);
      assert.equal((await readProvenance(bytes)).digitalSourceType, TRAINED_ALGORITHMIC_MEDIA);
    }
    const thumb = Buffer.from(
      await (await server.api(`/api/images/${imageId}.png?size=32`)).arrayBuffer()
    );
    expect(
      await sharp(thumb)
        .metadata()
        .then((m) => [m.width, m.height])
    ).toStrictEqual([32, 24]);
  });

  it("cancels a running generation", async () => {
    const { id, links } = await create({ steps: 50, width: 512, height: 512 });
    const stream = server.api(links.events);
    const res = await server.api(`/api/generations/${id}`, { method: "DELETE" });
    assert.equal(res.status, 202);
    const events = await readEvents(await stream);
    expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "cancelled" } });
    assert.equal((await (await server.api(`/api/generations/${id}`)).json()).status, "cancelled");
    assert.equal((await server.api(`/api/generations/${id}`, { method: "DELETE" })).status, 400);
  });

  it("refuses an unsafe prompt with its category, generates nothing, and audits it", async () => {
    const before = (await (await server.api("/api/generations")).json()).items.length;
    const res = await server.api("/api/generations", { method: "POST", json: { prompt: UNSAFE } });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "content_policy_violation");
    assert.equal(body.error.category, "sexual");
    assert.ok(body.error.requestId);
    assert.equal((await (await server.api("/api/generations")).json()).items.length, before);
    const metrics = await (await server.api("/metrics")).text();
    assert.match(
      metrics,
      /lumen_safety_blocks_total\{kind="prompt",category="sexual",provider="builtin"\} [1-9]/
    );
  });

  it("stores feedback on an image, and refuses feedback on an unknown one", async () => {
    const { id, links } = await create({});
    await readEvents(await server.api(links.events));
    const ok = await server.api("/api/feedback", {
      method: "POST",
      json: { imageId: `${id}-0`, rating: "up", comment: "lovely" },
    });
    assert.equal(ok.status, 201);
    assert.equal((await ok.json()).generationId, id);
    const missing = await server.api("/api/feedback", {
      method: "POST",
      json: { imageId: "nope", rating: "down" },
    });
    assert.equal(missing.status, 404);
  });

  it("lists models with the default marked", async () => {
    const { models } = await (await server.api("/api/models")).json();
    expect(models.map((m: { name: string }) => m.name)).toStrictEqual(["sd15", "sd21", "sdxl"]);
    assert.equal(models.find((m: { default: boolean }) => m.default).name, "sd15");
  });

  it("counts requests, images, stages and queue depth in /metrics", async () => {
    const text = await (await server.api("/metrics")).text();
    assert.match(text, /lumen_images_generated_total\{model="sd15"\} [1-9]/);
    assert.match(
      text,
      /lumen_http_requests_total\{route="\/api\/generations",method="POST",status="202"\} [1-9]/
    );
    assert.match(text, /lumen_stage_duration_seconds_count\{stage="unet"\} [1-9]/);
    assert.match(text, /lumen_queue_depth\{state="waiting"\} 0/);
  });

  describe("bad input gets the documented error and changes nothing", () => {
    const cases: Array<[string, RequestInit & { json?: unknown }, number, RegExp]> = [
      [
        "malformed JSON",
        { body: "{nope", headers: { "content-type": "application/json" } },
        400,
        /not valid JSON/,
      ],
      ["a wrong type", { json: { prompt: 42 } }, 400, /^prompt: /],
      [
        "an unknown field",
        { json: { prompt: "x", colour: "red" } },
        400,
        /unknown field\(s\) "colour"/,
      ],
      ["a 100 kB prompt", { json: { prompt: "a".repeat(100_000) } }, 413, /larger than/],
      ["n = 50", { json: { prompt: "x", n: 50 } }, 400, /^n: /],
      ["an unknown model", { json: { prompt: "x", model: "nope" } }, 400, /unknown model "nope"/],
      [
        "a size that is not a multiple of 8",
        { json: { prompt: "x", width: 100, height: 64 } },
        400,
        /width must be a multiple of 8/,
      ],
      ["a 10 MB body", { json: { prompt: "x", pad: "b".repeat(10_000_000) } }, 413, /larger than/],
    ];
    for (const [what, init, status, message] of cases) {
      it(what, async () => {
        const before = (await (await server.api("/api/generations")).json()).items.length;
        const res = await server.api("/api/generations", { method: "POST", ...init });
        assert.equal(res.status, status);
        const body = await res.json();
        assert.match(body.error.message, message);
        assert.equal(body.error.requestId, res.headers.get("x-request-id"));
        assert.equal((await (await server.api("/api/generations")).json()).items.length, before);
        assert.equal((await server.api("/healthz")).status, 200);
      });
    }

    it("an unknown image or generation id", async () => {
      assert.equal((await server.api("/api/images/does-not-exist.png")).status, 404);
      const res = await server.api("/api/generations/does-not-exist");
      assert.equal(res.status, 404);
      assert.equal((await res.json()).error.code, "not_found");
    });
  });

  describe("the OpenAI Images API", () => {
    const client = () =>
      new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed", maxRetries: 0 });

    it("works with the official openai client", async () => {
      const result = await client().images.generate({
        prompt: "a misty lake",
        n: 2,
        size: "64x64" as "256x256",
      });
      assert.equal(result.data!.length, 2);
      const png = Buffer.from(result.data![0].b64_json!, "base64");
      expect(
        await sharp(png)
          .metadata()
          .then((m) => [m.format, m.width])
      ).toStrictEqual(["png", 64]);
    });

    it("returns URLs when asked", async () => {
      const result = await client().images.generate({
        prompt: "a desert",
        size: "64x64" as "256x256",
        response_format: "url",
      });
      const res = await fetch(result.data![0].url!);
      assert.equal(res.headers.get("content-type"), "image/png");
    });

    it("refuses unsafe prompts as content_policy_violation", async () => {
      await assert.rejects(
        client().images.generate({ prompt: UNSAFE }),
        (e: InstanceType<typeof OpenAI.BadRequestError>) => {
          assert.equal(e.status, 400);
          assert.equal(e.code, "content_policy_violation");
          return true;
        }
      );
    });
  });
});

describe("limits", () => {
  it("rate-limits generation requests per client with Retry-After", async () => {
    const server = await startTestServer({ rateLimitMax: 2 });
    try {
      const post = () =>
        server.api("/api/generations", { method: "POST", json: { prompt: "x", ...small } });
      assert.equal((await post()).status, 202);
      assert.equal((await post()).status, 202);
      const limited = await post();
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      assert.equal((await limited.json()).error.code, "rate_limited");
    } finally {
      await server.stop();
    }
  });

  it("answers 503 with Retry-After when the queue is full", async () => {
    const server = await startTestServer({ maxQueue: 1, maxBatchImages: 1 });
    try {
      const slow = { prompt: "x", steps: 50, width: 512, height: 512 };
      const responses = await Promise.all(
        Array.from({ length: 5 }, () =>
          server.api("/api/generations", { method: "POST", json: slow })
        )
      );
      const statuses = responses.map((r) => r.status).sort();
      assert.ok(statuses.includes(202));
      const full = responses.find((r) => r.status === 503);
      assert.ok(full, `statuses ${statuses}`);
      assert.ok(Number(full.headers.get("retry-after")) >= 1);
      assert.equal((await full.json()).error.code, "queue_full");
    } finally {
      await server.stop();
    }
  });
});

describe("a broken model", () => {
  it("gives 503 without internals, generates nothing, and the server stays healthy", async () => {
    const models = mkdtempSync(join(tmpdir(), "lumen-models-"));
    cpSync(join(fixturesDir, "sd15"), join(models, "sd15"), { recursive: true });
    cpSync(join(fixturesDir, "sd15"), join(models, "broken"), { recursive: true });
    writeFileSync(join(models, "broken", "unet", "model.onnx"), "not a model");
    const server = await startTestServer({ modelsDir: models });
    try {
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "x", model: "broken", ...small },
      });
      assert.equal(res.status, 503);
      const body = await res.json();
      assert.equal(body.error.code, "model_unavailable");
      assert.doesNotMatch(body.error.message, /\/|onnx/);
      assert.equal((await (await server.api("/api/generations")).json()).items.length, 0);
      const ok = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "x", ...small },
      });
      assert.equal(ok.status, 202);
    } finally {
      await server.stop();
      rmSync(models, { recursive: true, force: true });
    }
  });
});

describe("job timeout", () => {
  it("stops a generation that runs past the limit and reports it", async () => {
    const server = await startTestServer({ jobTimeoutMs: 1000 });
    try {
      const res = await server.api("/api/generations", {
        method: "POST",
        // the largest size the API accepts: its steps and decode take seconds even with the tiny fixture
        json: { prompt: "x", steps: 50, width: 2048, height: 2048 },
      });
      const { id } = await res.json();
      const events = await readEvents(await server.api(`/api/generations/${id}/events`));
      expect(events.at(-1)?.type).toStrictEqual("error");
      assert.equal(events.at(-1)?.data.code, "timeout");
      const generation = await (await server.api(`/api/generations/${id}`)).json();
      assert.equal(generation.status, "failed");
      assert.match(generation.error, /longer than 1000 ms/);
    } finally {
      await server.stop();
    }
  });
});

describe("persistence", () => {
  it("keeps history and images across a restart", async () => {
    const first = await startTestServer({ dataDir: undefined });
    const dataDir = first.dataDir;
    let id: string;
    try {
      const res = await first.api("/api/generations", {
        method: "POST",
        json: { prompt: "a river", ...small },
      });
      ({ id } = await res.json());
      await readEvents(await first.api(`/api/generations/${id}/events`));
    } finally {
      await first.close(1000);
    }
    const second = await startTestServer({ dataDir });
    try {
      const generation = await (await second.api(`/api/generations/${id}`)).json();
      assert.equal(generation.status, "done");
      const image = await second.api(generation.images[0].url);
      assert.equal(image.status, 200);
      const events = await readEvents(await second.api(`/api/generations/${id}/events`));
      expect(events.map((e) => e.type)).toStrictEqual(["image", "done"]);
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
