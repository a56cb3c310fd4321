// The edges a hostile or unlucky client finds: reconnecting streams, forged Host headers, half-sent
// requests, prompts with nothing to see, lone surrogates, unknown cursors, a shutdown under a
// waiting OpenAI request. The real server on loopback, driven over HTTP.
import { strict as assert } from "node:assert";
import { request } from "node:http";
import { connect } from "node:net";
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { readEvents, readEventsWithIds, startTestServer, type TestServer } from "../helpers/server";

const small = { width: 64, height: 64, steps: 2 };

/** A raw HTTP request, so headers fetch will not send (Host) go as written. */
function rawGet(
  url: string,
  path: string,
  headers: Record<string, string>,
  body?: string
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method: body ? "POST" : "GET", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("edges", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ requestTimeoutMs: 1000 });
  });
  afterAll(() => server.stop());

  const create = async (body: Record<string, unknown> = {}) => {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dawn", ...small, ...body },
    });
    assert.equal(res.status, 202, await res.clone().text());
    return (await res.json()).id as string;
  };
  const count = async () =>
    (await (await server.api("/api/generations?limit=100")).json()).items.length;

  describe("event streams resume with Last-Event-ID", () => {
    it("numbers events with the job's sequence and sends a reconnecting client only what came after", async () => {
      const id = await create({ n: 2 });
      const events = await readEventsWithIds(await server.api(`/api/generations/${id}/events`));
      const ids = events.map((e) => Number(e.id));
      assert.ok(
        ids.every((n, i) => Number.isInteger(n) && n > 0 && (i === 0 || n > ids[i - 1])),
        `increasing ids: ${ids}`
      );
      const first = events.find((e) => e.type === "image")!;

      const again = await readEventsWithIds(
        await server.api(`/api/generations/${id}/events`, {
          headers: { "last-event-id": first.id! },
        })
      );
      expect(again.map((e) => [e.id, e.type, e.data.index])).toStrictEqual(
        events
          .filter((e) => Number(e.id) > Number(first.id))
          .map((e) => [e.id, e.type, e.data.index])
      );
      // the second image and the end; the first is not sent again
      expect(again.map((e) => e.type)).toStrictEqual(["image", "done"]);

      const atEnd = await server.api(`/api/generations/${id}/events`, {
        headers: { "last-event-id": events.at(-1)!.id! },
      });
      assert.equal(atEnd.status, 200);
      // a client that had the last event gets an empty, ended stream
      expect(await readEvents(atEnd)).toStrictEqual([]);

      const bad = await server.api(`/api/generations/${id}/events`, {
        headers: { "last-event-id": "yesterday" },
      });
      assert.equal(bad.status, 400);
      assert.match((await bad.json()).error.message, /Last-Event-ID/);
    });

    it("keeps the ids after a restart, when the store answers for the stream", async () => {
      const first = await startTestServer({ dataDir: undefined });
      const dataDir = first.dataDir;
      let events: Awaited<ReturnType<typeof readEventsWithIds>>;
      let id: string;
      try {
        const res = await first.api("/api/generations", {
          method: "POST",
          json: { prompt: "a river", n: 2, ...small },
        });
        id = (await res.json()).id;
        events = await readEventsWithIds(await first.api(`/api/generations/${id}/events`));
      } finally {
        await first.close(1000);
      }
      const second = await startTestServer({ dataDir });
      try {
        const replay = await readEventsWithIds(await second.api(`/api/generations/${id}/events`));
        const delivered = events.filter((e) => e.type === "image" || e.type === "done");
        // the same ids as the live stream
        expect(replay.map((e) => [e.id, e.type])).toStrictEqual(
          delivered.map((e) => [e.id, e.type])
        );
        const after = await readEventsWithIds(
          await second.api(`/api/generations/${id}/events`, {
            headers: { "last-event-id": delivered[0].id! },
          })
        );
        expect(after.map((e) => [e.id, e.type])).toStrictEqual(
          delivered.slice(1).map((e) => [e.id, e.type])
        );
      } finally {
        await second.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe("links are never built from the request's Host", () => {
    const openai = (headers: Record<string, string>, target = server) =>
      rawGet(
        target.url,
        "/v1/images/generations",
        { "content-type": "application/json", ...headers },
        JSON.stringify({ prompt: "a desert", size: "64x64", response_format: "url" })
      );

    it("uses the server's own address when a client sends Host: evil.example", async () => {
      const res = await openai({ host: "evil.example" });
      assert.equal(res.status, 200, res.text);
      const url = new URL(JSON.parse(res.text).data[0].url);
      assert.equal(url.origin, new URL(server.url).origin);
    });

    it("uses the forwarded host only from a trusted proxy (loopback), and LUMEN_PUBLIC_URL over everything", async () => {
      const forwarded = await openai({
        host: "evil.example",
        "x-forwarded-host": "images.example.org",
        "x-forwarded-proto": "https",
      });
      assert.equal(
        new URL(JSON.parse(forwarded.text).data[0].url).origin,
        "https://images.example.org"
      );

      const configured = await startTestServer({ publicUrl: "https://lumen.contoso.com/" });
      try {
        const res = await openai(
          { host: "evil.example", "x-forwarded-host": "evil.example", "x-forwarded-proto": "http" },
          configured
        );
        assert.equal(new URL(JSON.parse(res.text).data[0].url).origin, "https://lumen.contoso.com");
      } finally {
        await configured.stop();
      }
    });
  });

  describe("requests must arrive in time", () => {
    /** Sends `text` and keeps the connection open; resolves with what the server answered when it closed it. */
    const halfSent = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const { port } = new URL(server.url);
        const socket = connect(Number(port), "127.0.0.1", () => socket.write(text));
        let answer = "";
        socket.setEncoding("utf8").on("data", (c) => (answer += c));
        socket.on("close", () => resolve(answer));
        socket.on("error", reject);
        // Bound for the test only: the server is expected to close the connection long before.
        setTimeout(
          () => (socket.destroy(), reject(new Error("the server kept a half-sent request open"))),
          20_000
        ).unref();
      });

    it("closes a request whose body never finishes, and one whose headers never do, with 408", async () => {
      const before = await count();
      const body = halfSent(
        'POST /api/generations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"prompt":'
      );
      const headers = halfSent("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow:");
      assert.match(await body, /^HTTP\/1\.1 408/);
      assert.match(await headers, /^HTTP\/1\.1 408/);
      assert.equal((await server.api("/healthz")).status, 200);
      assert.equal(await count(), before);
    });

    it("still lets answers take longer than the limit: an event stream of a long generation", async () => {
      // The largest size the API accepts: its steps and decode take seconds even with the tiny fixture.
      const id = await create({ steps: 50, width: 2048, height: 2048 });
      const events = await readEvents(await server.api(`/api/generations/${id}/events`));
      expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });
      const g = await (await server.api(`/api/generations/${id}`)).json();
      assert.ok(
        Date.parse(g.finishedAt) - Date.parse(g.createdAt) > 1000,
        "the stream stayed open past the 1 s request limit"
      );
    });
  });

  describe("prompts and text", () => {
    const refused: Array<[string, string, RegExp]> = [
      [
        "only a zero-width space",
        '{"prompt":"\\u200b"}',
        /^prompt: prompt must contain a visible character/,
      ],
      ["only a NUL", '{"prompt":"\\u0000"}', /^prompt: prompt must contain a visible character/],
      [
        "spaces and zero-width joiners",
        '{"prompt":"  \\u200d\\u2060 \\ufeff "}',
        /^prompt: prompt must contain a visible character/,
      ],
      [
        "only a combining accent",
        '{"prompt":"\\u0301"}',
        /^prompt: prompt must contain a visible character/,
      ],
      [
        "a lone high surrogate in the prompt",
        '{"prompt":"a lake \\ud800 at dawn"}',
        /^prompt: text contains a lone surrogate/,
      ],
      [
        "a lone low surrogate in the negative prompt",
        '{"prompt":"a lake","negativePrompt":"\\udc00"}',
        /^negativePrompt: text contains a lone surrogate/,
      ],
      [
        "surrogates in the wrong order",
        '{"prompt":"\\udf04\\ud83c"}',
        /^prompt: text contains a lone surrogate/,
      ],
    ];
    for (const [what, body, message] of refused) {
      it(`refuses ${what} with 400, storing nothing`, async () => {
        const before = await count();
        const res = await server.api("/api/generations", {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
        });
        assert.equal(res.status, 400);
        assert.match((await res.json()).error.message, message);
        assert.equal(await count(), before);
      });
    }

    it("accepts an emoji (a proper surrogate pair) and refuses the same edges on the OpenAI endpoint and in feedback", async () => {
      const id = await create({ prompt: "a sunrise \ud83c\udf04 over the lake" });
      assert.equal(
        (await (await server.api(`/api/generations/${id}`)).json()).prompt,
        "a sunrise \u{1F304} over the lake"
      );
      const openai = await server.api("/v1/images/generations", {
        method: "POST",
        body: '{"prompt":"\\u200b"}',
        headers: { "content-type": "application/json" },
      });
      assert.equal(openai.status, 400);
      const feedback = await server.api("/api/feedback", {
        method: "POST",
        body: `{"imageId":"${id}-0","rating":"up","comment":"\\ud800"}`,
        headers: { "content-type": "application/json" },
      });
      assert.equal(feedback.status, 400);
      assert.match(
        (await feedback.json()).error.message,
        /^comment: text contains a lone surrogate/
      );
    });
  });

  it("refuses an unknown `before` cursor with 400", async () => {
    const id = await create();
    const ok = await server.api(`/api/generations?before=${id}`);
    assert.equal(ok.status, 200);
    const res = await server.api("/api/generations?before=no-such-id");
    assert.equal(res.status, 400);
    const { error } = await res.json();
    assert.equal(error.param, "before");
    assert.match(error.message, /no generation with id "no-such-id"/);
  });
});

describe("the OpenAI endpoint at shutdown", () => {
  it("answers a job cancelled by the shutdown with 503 and Retry-After", async () => {
    const server = await startTestServer();
    try {
      const pending = server.api("/v1/images/generations", {
        method: "POST",
        json: { prompt: "a slow lighthouse", size: "2048x2048" },
      });
      // Wait until the job runs, then shut down without a grace period.
      for (;;) {
        const { items } = await (await server.api("/api/generations")).json();
        if (items[0]?.status === "running") break;
        assert.ok(
          !items[0] || items[0].status === "queued",
          `the job ended before the shutdown: ${items[0]?.status}`
        );
        await new Promise((r) => setTimeout(r, 20));
      }
      const closed = server.close(0);
      const res = await pending;
      assert.equal(res.status, 503);
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      const { error } = await res.json();
      assert.equal(error.code, "interrupted");
      await closed;
    } finally {
      await server.stop();
    }
  });
});
