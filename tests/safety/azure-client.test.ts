// The Azure AI Content Safety client against the loopback stand-in: request shape, auth headers,
// retries on 429 / 5xx honouring Retry-After, timeouts, and errors that are not retried.
import { strict as assert } from "node:assert";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  ContentSafetyClient,
  ContentSafetyError,
  retryAfterMs,
} from "../../backend/safety/azure/content-safety-client";
import { DENIED, startContentSafetyStandIn, type StandIn } from "./content-safety-stand-in";

const KEY = "stand-in-key-0123456789";

describe("Content Safety client", () => {
  let standIn: StandIn;
  beforeAll(async () => {
    standIn = await startContentSafetyStandIn({ key: KEY, token: "entra-token" });
  });
  afterAll(() => standIn.close());
  const client = (options: Partial<ConstructorParameters<typeof ContentSafetyClient>[0]> = {}) =>
    new ContentSafetyClient({
      endpoint: standIn.url,
      auth: { key: KEY },
      timeoutMs: 2000,
      maxRetries: 2,
      retryDelayMs: 10,
      ...options,
    });
  const fresh = () => {
    standIn.requests.length = 0;
    standIn.faults.length = 0;
  };

  it("posts text:analyze with the GA api-version, the key header and the options, and reads the categories", async () => {
    fresh();
    standIn.rateText = (text) => (text.includes("storm") ? { Violence: 5 } : {});
    const result = await client().analyzeText({
      text: "a storm",
      categories: ["Violence", "Hate"],
      outputType: "EightSeverityLevels",
    });
    expect(result.categoriesAnalysis).toStrictEqual([
      { category: "Violence", severity: 5 },
      { category: "Hate", severity: 0 },
    ]);
    const [request] = standIn.requests;
    assert.equal(request.path, "/contentsafety/text:analyze");
    assert.equal(request.apiVersion, "2024-09-01");
    assert.equal(request.headers["ocp-apim-subscription-key"], KEY);
    assert.equal(request.headers.authorization, undefined);
    expect(request.body).toStrictEqual({
      text: "a storm",
      categories: ["Violence", "Hate"],
      outputType: "EightSeverityLevels",
    });
  });

  it("sends an Entra ID bearer token for the Cognitive Services scope and reuses it until it nears expiry", async () => {
    fresh();
    const scopes: (string | string[])[] = [];
    // The TokenCredential interface of @azure/identity: getToken(scopes) → { token, expiresOnTimestamp }.
    const credential = {
      getToken: async (scope: string | string[]) => {
        scopes.push(scope);
        return { token: "entra-token", expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const c = client({ auth: { credential } });
    await c.analyzeText({ text: "a lake" });
    await c.analyzeText({ text: "a hill" });
    expect(scopes).toStrictEqual(["https://cognitiveservices.azure.com/.default"]);
    expect(standIn.requests.map((r) => r.headers.authorization)).toStrictEqual([
      "Bearer entra-token",
      "Bearer entra-token",
    ]);
    assert.equal(standIn.requests[0].headers["ocp-apim-subscription-key"], undefined);
  });

  it("reports a refused key with the service's error body and does not retry it", async () => {
    fresh();
    await assert.rejects(
      client({ auth: { key: "wrong" } }).analyzeText({ text: "x" }),
      (e: ContentSafetyError) => {
        assert.ok(e instanceof ContentSafetyError);
        assert.equal(e.detail.status, 401);
        assert.equal(e.detail.code, "401");
        assert.ok(e.message.includes(DENIED));
        return true;
      }
    );
    assert.equal(standIn.requests.length, 1);
  });

  it("does not retry a request the service calls invalid", async () => {
    fresh();
    await assert.rejects(
      client().analyzeText({ text: "x", blocklistNames: ["no-such-list"] }),
      (e: ContentSafetyError) => {
        assert.equal(e.detail.status, 404);
        assert.equal(e.detail.code, "ResourceNotFound");
        return true;
      }
    );
    assert.equal(standIn.requests.length, 1);
  });

  it("waits out a 429's Retry-After (seconds) before trying again", async () => {
    fresh();
    standIn.faults.push({ status: 429, retryAfter: "1" });
    const result = await client().analyzeText({ text: "x" });
    assert.equal(result.categoriesAnalysis.length, 4);
    assert.equal(standIn.requests.length, 2);
    assert.ok(
      standIn.requests[1].at - standIn.requests[0].at >= 1000,
      "the retry came after Retry-After"
    );
  });

  it("retries 5xx answers with backoff and succeeds within the retry budget", async () => {
    fresh();
    standIn.faults.push({ status: 503, code: "ServerBusy" }, { status: 500 });
    await client({ maxRetries: 2 }).analyzeText({ text: "x" });
    assert.equal(standIn.requests.length, 3);
  });

  it("gives up after the last retry with the last answer", async () => {
    fresh();
    standIn.faults.push({ status: 503, code: "ServerBusy" }, { status: 503, code: "ServerBusy" });
    await assert.rejects(
      client({ maxRetries: 1 }).analyzeText({ text: "x" }),
      (e: ContentSafetyError) => {
        assert.equal(e.detail.status, 503);
        assert.equal(e.detail.code, "ServerBusy");
        assert.equal(e.detail.attempts, 2);
        return true;
      }
    );
    assert.equal(standIn.requests.length, 2);
  });

  it("gives up at once when Retry-After is longer than it will wait", async () => {
    fresh();
    standIn.faults.push({ status: 429, retryAfter: "120" });
    await assert.rejects(
      client({ maxRetryDelayMs: 5000 }).analyzeText({ text: "x" }),
      (e: ContentSafetyError) => e.detail.status === 429
    );
    assert.equal(standIn.requests.length, 1);
  });

  it("times out a slow answer, tries again, and reports the timeout", async () => {
    fresh();
    standIn.faults.push({ delayMs: 1500 }, { delayMs: 1500 });
    await assert.rejects(
      client({ timeoutMs: 200, maxRetries: 1 }).analyzeText({ text: "x" }),
      (e: ContentSafetyError) => {
        assert.match(e.message, /did not answer within 200 ms/);
        assert.equal(e.detail.attempts, 2);
        return true;
      }
    );
    assert.equal(standIn.requests.length, 2);
  });

  it("retries a dropped connection", async () => {
    fresh();
    standIn.faults.push({ drop: true });
    await client().analyzeText({ text: "x" });
    assert.equal(standIn.requests.length, 2);
  });

  it("reports an endpoint nobody listens on", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const c = new ContentSafetyClient({
      endpoint: `http://127.0.0.1:${port}`,
      auth: { key: KEY },
      maxRetries: 1,
      retryDelayMs: 10,
    });
    await assert.rejects(
      c.analyzeText({ text: "x" }),
      (e: ContentSafetyError) => /unreachable/.test(e.message) && e.detail.attempts === 2
    );
  });

  it("refuses an answer in an unexpected shape", async () => {
    fresh();
    standIn.faults.push({ status: 200 } as never);
    // A 200 with an error body is not an analysis.
    await assert.rejects(client().analyzeText({ text: "x" }), (e: ContentSafetyError) =>
      /unexpected shape/.test(e.message)
    );
  });

  it("refuses plain http to anything but loopback, and text over the API's limit", async () => {
    assert.throws(
      () =>
        new ContentSafetyClient({
          endpoint: "http://contoso.cognitiveservices.azure.com",
          auth: { key: KEY },
        }),
      /https/
    );
    await assert.rejects(client().analyzeText({ text: "x".repeat(10_001) }), RangeError);
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    assert.equal(retryAfterMs("3"), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs(null), undefined);
    assert.equal(retryAfterMs("soon"), undefined);
  });
});
