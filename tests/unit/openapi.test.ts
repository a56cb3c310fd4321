// The OpenAPI document must describe exactly the routes the app registers.
import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import { createApp, type AppDeps } from "../../backend/api/app";
import { openApiDocument } from "../../backend/api/openapi";
import { loadConfig } from "../../backend/config";
import { createLogger } from "../../backend/observability/logger";
import { createMetrics } from "../../backend/observability/metrics";

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
    const documented = Object.entries(openApiDocument().paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.ok(served.length >= 10);
    expect(documented).toStrictEqual(served);
  });

  it("describes request bodies from the same schemas the routes validate with", () => {
    const schema = openApiDocument().paths["/api/generations"].post.requestBody.content["application/json"].schema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    expect(schema.required).toStrictEqual(["prompt"]);
    assert.ok("aspect" in schema.properties && "style" in schema.properties);
  });
});
