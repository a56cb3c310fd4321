// The add-in's API client with a fake token provider and a fetch stub: the bearer token goes with
// every call (JSON, DELETE, feedback, images, the event stream), a 401 gets one fresh token and
// one retry, and refusals reach the token provider.
import { afterEach, describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import {
  ApiError,
  LumenClient,
  UnreachableError,
  isSignInRefusal,
  type TokenProvider,
} from "../../addin/api/client";
import type { GenerationEvent } from "../../contract";
import { apiError, json, sse, stubFetch, type FetchStub } from "./addin-fetch-stub";

/** Hands out t1, t2, … — a new one after each invalidate(). */
class FakeTokens implements TokenProvider {
  issued = 1;
  invalidated = 0;
  refusals: ApiError[] = [];
  constructor(private readonly signedIn = true) {}
  async getToken() {
    return this.signedIn ? `t${this.issued}` : undefined;
  }
  invalidate() {
    this.invalidated++;
    this.issued++;
  }
  refused(error: ApiError) {
    this.refusals.push(error);
  }
}

function follow(
  client: LumenClient,
  id: string
): Promise<{ events: GenerationEvent[]; lost?: unknown }> {
  return new Promise((resolve) => {
    const events: GenerationEvent[] = [];
    client.followGeneration(
      id,
      (event) => {
        events.push(event);
        if (event.type === "done" || event.type === "error") resolve({ events });
      },
      (lost) => resolve({ events, lost })
    );
  });
}

const DONE: [string, unknown][] = [
  ["queued", { position: 1 }],
  ["image", { id: "img1", index: 0, seed: 7, url: "/api/images/img1", width: 64, height: 64 }],
  ["done", { status: "done" }],
];

describe("API client with sign-in", () => {
  let fetchStub: FetchStub | undefined;
  afterEach(() => fetchStub?.restore());

  it("sends the bearer token with JSON calls, DELETE, feedback, image fetches and the event stream", async () => {
    fetchStub = stubFetch(({ url, method }) => {
      if (url.endsWith("/api/generations") && method === "POST")
        return json({ id: "g1", position: 1 }, 202);
      if (url.endsWith("/events")) return sse(DONE);
      if (url.includes("/api/images/"))
        return new Response(new Uint8Array([1, 2, 3]), {
          headers: { "content-type": "image/jpeg" },
        });
      if (url.endsWith("/api/models")) return json({ models: [{ name: "sd15", default: true }] });
      return json({ ok: true }, method === "DELETE" ? 202 : 201);
    });
    const client = new LumenClient("https://lumen.test", new FakeTokens());

    expect(await client.createGeneration({ prompt: "a lake", n: 1 })).toStrictEqual({
      id: "g1",
      position: 1,
      notices: [],
    });
    const { events } = await follow(client, "g1");
    await client.cancelGeneration("g1");
    await client.sendFeedback({ imageId: "img1", rating: "up" });
    const blob = await client.imageBlob("img1", { format: "jpeg", size: 160 });
    await client.models();

    expect(events.map((e) => e.type)).toStrictEqual(["queued", "image", "done"]);
    expect([...new Uint8Array(await blob.arrayBuffer())]).toStrictEqual([1, 2, 3]);
    expect(
      fetchStub.requests.map(
        (r) => `${r.method} ${r.url.replace("https://lumen.test", "")} ${r.authorization}`
      )
    ).toStrictEqual([
      "POST /api/generations Bearer t1",
      "GET /api/generations/g1/events Bearer t1",
      "DELETE /api/generations/g1 Bearer t1",
      "POST /api/feedback Bearer t1",
      "GET /api/images/img1.jpg?size=160 Bearer t1",
      "GET /api/models Bearer t1",
    ]);
    assert.strictEqual(fetchStub.requests[1].accept, "text/event-stream");
  });

  it("reads the policy without a token, and sends no header when the server needs no sign-in", async () => {
    fetchStub = stubFetch(({ url }) =>
      url.endsWith("/api/policy")
        ? json({ maxImagesPerRequest: 2 })
        : json({ id: "g1", position: 0 }, 202)
    );
    await new LumenClient("", new FakeTokens(true)).policy();
    await new LumenClient("", new FakeTokens(false)).createGeneration({ prompt: "a lake" });
    await new LumenClient().createGeneration({ prompt: "a lake" });
    expect(fetchStub.requests.map((r) => r.authorization)).toStrictEqual([null, null, null]);
  });

  it("after a 401, drops the token, gets a fresh one and retries once", async () => {
    fetchStub = stubFetch(({ authorization }) =>
      authorization === "Bearer t1"
        ? apiError(401, "unauthorized", "token has expired")
        : json({ id: "g2", position: 0 }, 202)
    );
    const tokens = new FakeTokens();
    const client = new LumenClient("", tokens);
    assert.strictEqual((await client.createGeneration({ prompt: "a lake" })).id, "g2");
    expect(fetchStub.requests.map((r) => r.authorization)).toStrictEqual([
      "Bearer t1",
      "Bearer t2",
    ]);
    assert.strictEqual(
      fetchStub.requests[1].body,
      fetchStub.requests[0].body,
      "the same request again"
    );
    assert.strictEqual(tokens.invalidated, 1);
    assert.strictEqual(tokens.refusals.length, 0);
  });

  it("a second 401 is not retried again: it is thrown and reported as a refusal", async () => {
    fetchStub = stubFetch(() => apiError(401, "unauthorized", "token audience is not accepted"));
    const tokens = new FakeTokens();
    await assert.rejects(
      new LumenClient("", tokens).sendFeedback({ imageId: "i", rating: "down" }),
      (error: unknown) => {
        assert.ok(
          error instanceof ApiError &&
            error.status === 401 &&
            error.message === "token audience is not accepted"
        );
        return true;
      }
    );
    assert.strictEqual(fetchStub.requests.length, 2);
    assert.strictEqual(tokens.refusals.length, 1);
  });

  it("a 401 without a token sent is not retried (nothing to refresh)", async () => {
    fetchStub = stubFetch(() => apiError(401, "unauthorized", "sign-in required: no bearer token"));
    const tokens = new FakeTokens(false);
    await assert.rejects(new LumenClient("", tokens).cancelGeneration("g1"), ApiError);
    assert.strictEqual(fetchStub.requests.length, 1);
    assert.strictEqual(tokens.refusals.length, 1, "still a refusal: the server wants sign-in");
  });

  it("tells a 403 for the account from a 403 for a field the policy doesn't allow", async () => {
    fetchStub = stubFetch(({ url }) =>
      url.endsWith("/api/models")
        ? apiError(403, "forbidden", "your organisation is not allowed to use this service")
        : apiError(
            403,
            "forbidden",
            'model: "sdxl" is not allowed by your organisation\'s policy',
            "model"
          )
    );
    const tokens = new FakeTokens();
    const client = new LumenClient("", tokens);
    await assert.rejects(client.models(), (e) => isSignInRefusal(e));
    await assert.rejects(
      client.createGeneration({ prompt: "a lake", model: "sdxl" }),
      (e) => e instanceof ApiError && !isSignInRefusal(e)
    );
    expect(tokens.refusals.map((e) => e.message)).toStrictEqual([
      "your organisation is not allowed to use this service",
    ]);
    assert.strictEqual(tokens.invalidated, 0, "a 403 is not cured by a new token");
  });

  it("reports an unreachable server as UnreachableError", async () => {
    fetchStub = stubFetch(() => Promise.reject(new TypeError("fetch failed")));
    await assert.rejects(new LumenClient("https://down.test").models(), UnreachableError);
  });
});

describe("event stream over fetch", () => {
  let fetchStub: FetchStub | undefined;
  afterEach(() => fetchStub?.restore());

  it("gets a fresh token when the stream is refused with 401, and follows it", async () => {
    fetchStub = stubFetch(({ authorization }) =>
      authorization === "Bearer t1" ? apiError(401, "unauthorized", "token has expired") : sse(DONE)
    );
    const { events, lost } = await follow(new LumenClient("", new FakeTokens()), "g1");
    assert.strictEqual(lost, undefined);
    expect(events.map((e) => e.type)).toStrictEqual(["queued", "image", "done"]);
    expect(fetchStub.requests.map((r) => r.authorization)).toStrictEqual([
      "Bearer t1",
      "Bearer t2",
    ]);
  });

  it("reconnects (with the token) after the connection drops, waiting the server's retry interval", async () => {
    fetchStub = stubFetch((_r, i) => (i === 0 ? sse(DONE.slice(0, 1), { retry: 5 }) : sse(DONE)));
    const { events, lost } = await follow(new LumenClient("", new FakeTokens()), "g1");
    assert.strictEqual(lost, undefined);
    // The server replays the job's events on reconnect; the generation reducer ignores repeats.
    expect(events.map((e) => e.type)).toStrictEqual(["queued", "queued", "image", "done"]);
    expect(fetchStub.requests.map((r) => r.authorization)).toStrictEqual([
      "Bearer t1",
      "Bearer t1",
    ]);
  });

  it("sends the id of the last event it received when it reconnects, so only later events come", async () => {
    fetchStub = stubFetch((_r, i) =>
      i === 0 ? sse(DONE.slice(0, 2), { retry: 5 }) : sse(DONE.slice(2), { firstId: 3 })
    );
    const { events, lost } = await follow(new LumenClient("", new FakeTokens()), "g1");
    assert.strictEqual(lost, undefined);
    expect(fetchStub.requests.map((r) => r.lastEventId)).toStrictEqual([null, "2"]);
    expect(events.map((e) => e.type)).toStrictEqual(["queued", "image", "done"]);
  });

  it("reports the connection lost after three failed attempts in a row", async () => {
    fetchStub = stubFetch((_r, i) =>
      i === 0 ? sse([], { retry: 5 }) : Promise.reject(new TypeError("network down"))
    );
    const { events, lost } = await follow(new LumenClient("", new FakeTokens()), "g1");
    expect(events).toStrictEqual([]);
    assert.ok(lost instanceof UnreachableError, String(lost));
    assert.strictEqual(fetchStub.requests.length, 3);
  });

  it("stops at once on a refusal that retrying can't change (403, 404)", async () => {
    fetchStub = stubFetch(() =>
      apiError(403, "forbidden", "your organisation is not allowed to use this service")
    );
    const tokens = new FakeTokens();
    const { lost } = await follow(new LumenClient("", tokens), "g1");
    assert.ok(lost instanceof ApiError && lost.status === 403);
    assert.strictEqual(fetchStub.requests.length, 1);
    assert.strictEqual(tokens.refusals.length, 1);
  });

  it("stops listening when asked, without reporting a loss", async () => {
    let lost = false;
    const events: string[] = [];
    fetchStub = stubFetch(() => sse([["queued", { position: 3 }]], { retry: 5 }));
    const stop = new LumenClient("", new FakeTokens()).followGeneration(
      "g1",
      (e) => events.push(e.type),
      () => (lost = true)
    );
    await new Promise((resolve) => setTimeout(resolve, 3));
    stop();
    const made = fetchStub.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.strictEqual(lost, false);
    assert.strictEqual(fetchStub.requests.length, made, "no reconnect after stop()");
  });
});
