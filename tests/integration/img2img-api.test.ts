// Pictures from pictures over HTTP against the real server and fixture models: a data: URL on
// POST /api/generations, the official openai client's images.edit and images.createVariation,
// Content Credentials naming the picture as ingredient, and the refusals.
import { strict as assert } from "node:assert";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import OpenAI, { toFile } from "openai";
import sharp from "sharp";
import { readContentCredentials } from "../../backend/provenance";
import { readPngText } from "../../backend/provenance/png-text";
import { resolveRequest } from "../../backend/engine";
import { openFixture, releaseFixtures } from "../helpers/fixtures";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";

/** A 96×64 gradient: a picture with an aspect of its own (3:2). */
async function gradient(format: "png" | "jpeg" = "png"): Promise<Buffer> {
  const width = 96;
  const height = 64;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      pixels.set([(x * 255) / width, (y * 255) / height, 128], (y * width + x) * 3);
  }
  const image = sharp(pixels, { raw: { width, height, channels: 3 } });
  return (format === "png" ? image.png() : image.jpeg()).toBuffer();
}

const dataUrl = (bytes: Buffer, type = "image/png") =>
  `data:${type};base64,${bytes.toString("base64")}`;

describe("image-to-image API", () => {
  let server: TestServer;
  let picture: Buffer;
  const client = () =>
    new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed", maxRetries: 0 });

  beforeAll(async () => {
    server = await startTestServer({ rateLimitMax: 1000, maxPictureBytes: 64 * 1024 });
    picture = await gradient();
  });
  afterAll(async () => {
    await server.stop();
    await releaseFixtures();
  });

  it("starts a generation from a data: URL, keeps the picture's aspect and names the picture in the Content Credentials", async () => {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dusk", image: dataUrl(picture), strength: 0.5, steps: 4 },
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = await res.json();
    const events = await readEvents(await server.api(`/api/generations/${id}/events`));
    // the last 2 of 4 steps run
    expect(events.find((e) => e.type === "started")?.data).toStrictEqual({ steps: 2, n: 1 });
    const image = events.find((e) => e.type === "image")!.data as {
      url: string;
      width: number;
      height: number;
    };
    assert.ok(
      image.width > image.height,
      `${image.width}×${image.height} keeps the picture's landscape aspect`
    );

    const generation = await (await server.api(`/api/generations/${id}`)).json();
    assert.equal(generation.params.strength, 0.5);
    assert.equal(generation.params.source, "png");

    const png = Buffer.from(await (await server.api(image.url)).arrayBuffer());
    const report = (await readContentCredentials(png))!;
    expect(report.manifest.actions.map((a) => a.action)).toStrictEqual([
      "c2pa.opened",
      "c2pa.edited",
    ]);
    expect(report.manifest.ingredients.map((i) => i.relationship)).toStrictEqual(["parentOf"]);
  });

  it("names the steps the schedule had, not the model's default, where a low strength raised them", async () => {
    const model = await openFixture("sd15"); // the server's model
    const strength = 0.02; // runs one step only on a schedule of 50 or more
    const raised = resolveRequest(model, {
      prompt: "a lake",
      seed: 1,
      image: { width: 8, height: 8, pixels: new Uint8Array(192) },
      strength,
    }).steps;
    assert.ok(
      raised > model.defaults.steps,
      `the default ${model.defaults.steps} steps must be raised for this test to mean anything`
    );
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake", image: dataUrl(picture), strength, width: 64, height: 64 },
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = await res.json();
    const events = await readEvents(await server.api(`/api/generations/${id}/events`));
    expect(events.find((e) => e.type === "started")?.data).toStrictEqual({ steps: 1, n: 1 });
    const generation = await (await server.api(`/api/generations/${id}`)).json();
    assert.equal(generation.params.steps, raised);
    const image = events.find((e) => e.type === "image")!.data as { url: string };
    const png = Buffer.from(await (await server.api(image.url)).arrayBuffer());
    assert.match(readPngText(png).get("parameters") ?? "", new RegExp(`Steps: ${raised},`));
  });

  it("works with the official openai client's images.edit (multipart)", async () => {
    const result = await client().images.edit({
      image: await toFile(picture, "picture.png", { type: "image/png" }),
      prompt: "the same hills in snow",
      size: "64x64" as "256x256",
      n: 2,
    });
    assert.equal(result.data!.length, 2);
    const png = Buffer.from(result.data![0].b64_json!, "base64");
    expect(
      await sharp(png)
        .metadata()
        .then((m) => [m.format, m.width, m.height])
    ).toStrictEqual(["png", 64, 64]);
  });

  it("makes variations of a JPEG with images.createVariation", async () => {
    const jpeg = await gradient("jpeg");
    const result = await client().images.createVariation({
      image: await toFile(jpeg, "picture.jpg", { type: "image/jpeg" }),
      size: "64x64" as "256x256",
    });
    const png = Buffer.from(result.data![0].b64_json!, "base64");
    assert.equal((await sharp(png).metadata()).width, 64);
  });

  it("refuses a mask: this model does not inpaint", async () => {
    const mask = await toFile(picture, "mask.png", { type: "image/png" });
    await assert.rejects(
      client().images.edit({
        image: await toFile(picture, "p.png", { type: "image/png" }),
        mask,
        prompt: "a boat",
        size: "64x64" as "256x256",
      }),
      (e: unknown) => {
        assert.ok(e instanceof OpenAI.BadRequestError);
        assert.match(e.message, /mask: inpainting is not supported by this model/);
        return true;
      }
    );
  });

  it("refuses what is not a picture, one too large, a model that cannot encode, and strength alone, changing nothing", async () => {
    const before = (await (await server.api("/api/generations?limit=100")).json()).items.length;
    const cases: Array<[unknown, number, RegExp]> = [
      [
        { prompt: "a lake", image: dataUrl(Buffer.from("not a picture"), "image/png") },
        400,
        /image: not a picture .*PNG, JPEG or WebP/,
      ],
      [
        {
          prompt: "a lake",
          image: dataUrl(
            Buffer.from("<svg xmlns='http://www.w3.org/2000/svg' width='8' height='8'/>"),
            "image/svg+xml"
          ),
        },
        400,
        /image: svg pictures are not accepted/,
      ],
      [{ prompt: "a lake", image: "https://example.org/a.png" }, 400, /image must be a data: URL/],
      [
        { prompt: "a lake", image: dataUrl(Buffer.alloc(70 * 1024, 1)) },
        413,
        /image: the picture is 0\.07 MB; at most 0\.06 MB/,
      ],
      [
        { prompt: "a lake", image: dataUrl(picture), model: "sdxl" },
        400,
        /model "sdxl" cannot start from a picture/,
      ],
      [{ prompt: "a lake", strength: 0.5 }, 400, /strength: strength needs an image/],
      [
        { prompt: "a lake", image: dataUrl(picture), strength: 0.2, steps: 4 },
        400,
        /steps × strength must be at least 1/,
      ],
    ];
    for (const [json, status, message] of cases) {
      const res = await server.api("/api/generations", { method: "POST", json });
      const body = await res.json();
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(body.error.message, message);
    }
    const upload = await server.api("/v1/images/edits", {
      method: "POST",
      body: (() => {
        const form = new FormData();
        form.set("prompt", "a lake");
        return form;
      })(),
    });
    assert.equal(upload.status, 400);
    assert.match((await upload.json()).error.message, /image: a picture file is required/);
    const after = (await (await server.api("/api/generations?limit=100")).json()).items.length;
    assert.equal(after, before, "no generation was recorded");
  });
});
