// The OpenAPI document must describe exactly the routes the app registers.
import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import { createApp, type AppDeps } from "../../backend/api/app";
import { Generation, arenaWinners, generationStatuses, imageFormats } from "../../contract";
import { openApiDocument } from "../../backend/api/openapi";
import { toGeneration } from "../../backend/api/routes/generations";
import { loadConfig } from "../../backend/config";
import { createLogger } from "../../backend/observability/logger";
import { createMetrics } from "../../backend/observability/metrics";

// The document as a client reads it: plain JSON.
const doc = (): any => JSON.parse(JSON.stringify(openApiDocument()));

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function registeredRoutes(stack: Layer[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const path = layer.route.path.replace(/:(\w+)/g, "{$1}");
      return Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${path}`);
    }
    return layer.handle?.stack ? registeredRoutes(layer.handle.stack) : [];
  });
}

describe("OpenAPI document", () => {
  it("lists every route the app serves, and no other", () => {
    // Building the app only wires handlers; none of these parts is called.
    const unused = {} as never;
    const deps: AppDeps = {
      config: loadConfig({ staticDir: "/nonexistent" }, {}),
      logger: createLogger("silent"),
      metrics: createMetrics(),
      pool: unused,
      store: unused,
      queue: unused,
      service: unused,
      ready: () => ({ ready: true, detail: "" }),
    };
    const app = createApp(deps) as unknown as { router: { stack: Layer[] } };
    const served = registeredRoutes(app.router.stack).sort();
    const documented = Object.entries(doc().paths as Record<string, object>)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.ok(served.length >= 10);
    expect(documented).toStrictEqual(served);
  });

  it("describes request bodies from the same schemas the routes validate with", () => {
    const schema =
      doc().paths["/api/generations"].post.requestBody.content["application/json"].schema;
    expect(schema.required).toStrictEqual(["prompt"]);
    assert.ok("aspect" in schema.properties && "style" in schema.properties);
  });

  it("describes a starting picture on generations, and the picture endpoints' multipart bodies, from the contract", () => {
    const d = doc();
    const generation =
      d.paths["/api/generations"].post.requestBody.content["application/json"].schema;
    assert.ok("image" in generation.properties && "strength" in generation.properties);
    expect(generation.properties.strength).toMatchObject({
      type: "number",
      exclusiveMinimum: 0,
      maximum: 1,
    });

    const edit = d.paths["/v1/images/edits"].post.requestBody.content["multipart/form-data"].schema;
    expect([...edit.required].sort()).toStrictEqual(["image", "prompt"]);
    expect(edit.properties.image).toMatchObject({ type: "string", format: "binary" });
    expect(edit.properties.mask).toMatchObject({ type: "string", format: "binary" });
    assert.ok("strength" in edit.properties && "n" in edit.properties && "size" in edit.properties);

    const variation =
      d.paths["/v1/images/variations"].post.requestBody.content["multipart/form-data"].schema;
    expect(variation.required).toStrictEqual(["image"]);
    expect(variation.properties.image).toMatchObject({ type: "string", format: "binary" });
    assert.ok(!("prompt" in variation.properties));
  });

  it("describes the arena's requests from the contract", () => {
    const d = doc();
    const vote =
      d.paths["/api/arena/battles/{id}/vote"].post.requestBody.content["application/json"].schema;
    expect(vote.properties.winner.enum).toStrictEqual([...arenaWinners]);
    const battle =
      d.paths["/api/arena/battles"].post.requestBody.content["application/json"].schema;
    expect(battle.required).toStrictEqual(["prompt"]);
    const side = d.paths["/api/arena/battles/{id}/images/{side}"].get.parameters.find(
      (p: { name: string }) => p.name === "side"
    );
    expect(side.schema.enum).toStrictEqual(["left", "right"]);
  });

  it("describes `before` as the generation id the store pages by, not a date", () => {
    const before = doc().paths["/api/generations"].get.parameters.find(
      (p: { name: string }) => p.name === "before"
    );
    expect(before.in).toBe("query");
    expect(before.schema).toStrictEqual({
      type: "string",
      description: "the id of the last generation of the previous page",
    });
  });

  it("describes generations and images with the contract's statuses and formats", () => {
    const d = doc();
    expect(
      d.paths["/api/generations/{id}"].get.responses["200"].content["application/json"].schema
    ).toStrictEqual({ $ref: "#/components/schemas/Generation" });
    expect(d.components.schemas.Generation.properties.status.enum).toStrictEqual([
      ...generationStatuses,
    ]);
    expect(d.components.schemas.Generation.properties.images.items).toStrictEqual({
      $ref: "#/components/schemas/ImageSummary",
    });
    const format = d.paths["/api/images/{file}"].get.parameters.find(
      (p: { name: string }) => p.name === "format"
    );
    expect(format.schema.enum).toStrictEqual([...imageFormats]);
    expect(Object.keys(d.paths["/api/images/{file}"].get.responses["200"].content)).toStrictEqual([
      "image/png",
      "image/jpeg",
      "image/webp",
    ]);
  });

  it("what the routes answer for a generation fits the documented schema", () => {
    const answer = toGeneration({
      id: "g1",
      clientId: "c",
      prompt: null,
      promptHash: "h",
      negativePrompt: null,
      params: { steps: 4 },
      model: "lumen-landscapes",
      status: "blocked",
      owner: null,
      error: null,
      errorCode: null,
      category: "violence",
      eventSeq: 5,
      createdAt: "2026-01-02T03:04:05.000Z",
      startedAt: null,
      finishedAt: "2026-01-02T03:04:09.000Z",
      images: [
        {
          id: "i1",
          index: 0,
          seed: 7,
          width: 512,
          height: 512,
          blocked: false,
          category: null,
          eventSeq: 3,
        },
        {
          id: "i2",
          index: 1,
          seed: 8,
          width: null,
          height: null,
          blocked: true,
          category: "violence",
          eventSeq: 4,
        },
      ],
    });
    expect(Generation.parse(answer)).toStrictEqual(answer);
    expect(answer.images.map((i) => i.url)).toStrictEqual(["/api/images/i1.png", null]);
    expect(() => Generation.parse({ ...answer, status: "finished" })).toThrow();
  });
});
