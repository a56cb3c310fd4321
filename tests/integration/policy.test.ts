// The tenant policy file changes what users can do; each setting is proven here.
import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { ConfigError, loadConfig } from "../../backend/config";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";

const policyFile = (policy: object) => {
  const path = join(mkdtempSync(join(tmpdir(), "lumen-policy-")), "policy.json");
  writeFileSync(path, JSON.stringify(policy));
  return path;
};

describe("tenant policy", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      policy: policyFile({
        safetyLevel: "strict",
        allowedModels: ["sd15", "sd21"],
        maxImagesPerRequest: 2,
        maxSize: 256,
        rateLimit: { windowSeconds: 60, max: 5 },
        storePrompts: false,
        retentionDays: 7,
        corsOrigins: ["https://contoso.sharepoint.com"],
      }),
    });
  });
  afterAll(() => server.stop());
  const post = (body: object) =>
    server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake", steps: 3, ...body },
    });

  it("is published at /api/policy for the task pane", async () => {
    const policy = await (await server.api("/api/policy")).json();
    assert.equal(policy.safetyLevel, "strict");
    expect(policy.models).toStrictEqual(["sd15", "sd21"]);
    assert.equal(policy.maxImagesPerRequest, 2);
    assert.equal(policy.maxSize, 256);
    assert.equal(policy.previews, false);
    expect(policy.rateLimit).toStrictEqual({ windowSeconds: 60, max: 5 });
    assert.equal(policy.retentionDays, 7);
  });

  it("limits the models users can list and use", async () => {
    const { models } = await (await server.api("/api/models")).json();
    expect(models.map((m: { name: string }) => m.name)).toStrictEqual(["sd15", "sd21"]);
    const res = await post({ model: "sdxl", width: 64, height: 64 });
    assert.equal(res.status, 403);
    assert.match((await res.json()).error.message, /not allowed by your organisation's policy/);
  });

  it("limits images per request and their size", async () => {
    assert.equal((await post({ n: 3, width: 64, height: 64 })).status, 400);
    const big = await post({ width: 512, height: 512 });
    assert.equal(big.status, 400);
    assert.match((await big.json()).error.message, /at most 256 pixels/);
  });

  it("applies the strict level (no previews) and keeps no prompt text", async () => {
    const res = await post({ n: 2, width: 64, height: 64 });
    assert.equal(res.status, 202);
    const { id } = await res.json();
    const events = await readEvents(await server.api(`/api/generations/${id}/events`));
    assert.ok(events.some((e) => e.type === "image"));
    assert.ok(events.filter((e) => e.type === "step").every((e) => e.data.previews === undefined));
    assert.equal((await (await server.api(`/api/generations/${id}`)).json()).prompt, null);
  });

  it("answers CORS requests from the allowed origins only", async () => {
    const preflight = (origin: string) =>
      server.api("/api/generations", {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
    const allowed = await preflight("https://contoso.sharepoint.com");
    assert.equal(
      allowed.headers.get("access-control-allow-origin"),
      "https://contoso.sharepoint.com"
    );
    const other = await preflight("https://evil.example");
    assert.equal(other.headers.get("access-control-allow-origin"), null);
  });

  it("takes its rate limit from the policy", async () => {
    let status = 0;
    for (let i = 0; i < 6 && status !== 429; i++)
      status = (await post({ width: 64, height: 64 })).status;
    assert.equal(status, 429);
  });
});

describe("policy file errors", () => {
  it("names the field that is wrong", () => {
    assert.throws(
      () => loadConfig({ policy: policyFile({ maxImagesPerRequest: 9 }) }, {}),
      (e: Error) => e instanceof ConfigError && /maxImagesPerRequest/.test(e.message)
    );
    assert.throws(
      () => loadConfig({ policy: policyFile({ safetyLevel: "lax" }) }, {}),
      /safetyLevel/
    );
    assert.throws(
      () => loadConfig({ policy: policyFile({ corsOrigins: ["https://a.example/path"] }) }, {}),
      /corsOrigins/
    );
    assert.throws(
      () => loadConfig({ policy: policyFile({ colour: "red" }) }, {}),
      /colour|unrecognized/i
    );
    assert.throws(() => loadConfig({ policy: "/no/such/policy.json" }, {}), /does not exist/);
  });

  it("wins over the environment", () => {
    const config = loadConfig(
      {},
      { LUMEN_POLICY: policyFile({ safetyLevel: "strict" }), LUMEN_SAFETY_LEVEL: "moderate" }
    );
    assert.equal(config.safetyLevel, "strict");
  });
});

describe("hardening", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it("sends a Content-Security-Policy that lets Office frame the pages and nothing else in", async () => {
    const res = await server.api("/healthz");
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'self' https:\/\/\*\.officeapps\.live\.com/);
    assert.match(csp, /script-src 'self' https:\/\/appsforoffice\.microsoft\.com;/);
    assert.match(csp, /object-src 'none'/);
    assert.equal(res.headers.get("x-frame-options"), null);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("x-powered-by"), null);
  });

  it("sends no CORS headers when no origin is configured", async () => {
    const res = await server.api("/api/models", { headers: { origin: "https://evil.example" } });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });

  it("refuses oversized headers", async () => {
    const res = await server.api("/healthz", { headers: { "x-padding": "a".repeat(20_000) } });
    assert.equal(res.status, 431);
  });

  it("keeps stack traces and paths out of error responses", async () => {
    const res = await server.api("/api/generations", {
      method: "POST",
      body: "{",
      headers: { "content-type": "application/json" },
    });
    const text = await res.text();
    assert.doesNotMatch(text, /at \w+ \(|\/work\/|node_modules/);
  });
});
