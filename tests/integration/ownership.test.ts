// With sign-in on, a generation, its events, its cancellation, its feedback and its images belong
// to the user and tenant that made it, and so does an arena battle. Another user of the same tenant,
// and the same user id in another tenant, get the 404 an unknown id gets: the answer says nothing
// about whether it exists.
import { strict as assert } from "node:assert";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createLogger } from "../../backend/observability/logger";
import { startFakeEntra, type FakeEntra } from "../helpers/entra";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";

const T1 = "11111111-1111-4111-8111-111111111111";
const T2 = "22222222-2222-4222-8222-222222222222";
const AUDIENCE = "api://lumen.example.org/5b7e2c1a";
const small = { width: 64, height: 64, steps: 2 };

describe("per-user access with sign-in on", () => {
  let entra: FakeEntra;
  let server: TestServer;
  let owner: string;
  const others: Array<[string, string]> = [];

  beforeAll(async () => {
    entra = await startFakeEntra();
    server = await startTestServer({
      auth: "entra",
      authAudience: AUDIENCE,
      authTenants: `${T1},${T2}`,
      authJwksUrl: entra.jwksUrl,
      rateLimitMax: 1000,
    });
    owner = await entra.bearer({ tid: T1, oid: "ada", aud: AUDIENCE });
    others.push([
      "another user of the same tenant",
      await entra.bearer({ tid: T1, oid: "bob", aud: AUDIENCE }),
    ]);
    others.push([
      "the same user id in another tenant",
      await entra.bearer({ tid: T2, oid: "ada", aud: AUDIENCE }),
    ]);
  });
  afterAll(async () => {
    await server.stop();
    entra.close();
  });

  const as = (authorization: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
    server.api(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization },
    });
  const create = async (authorization: string, body: Record<string, unknown> = {}) => {
    const res = await as(authorization, "/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dawn", ...small, ...body },
    });
    assert.equal(res.status, 202, await res.clone().text());
    return (await res.json()).id as string;
  };
  /** The error an unknown id gets, without the request id. */
  const errorOf = async (res: Response) => {
    const { error } = await res.json();
    return {
      status: res.status,
      code: error.code,
      message: error.message.replace(/"[^"]*"/, '"…"'),
    };
  };

  it("lets only the owner read, follow, rate, fetch and list a generation; others get an unknown id's 404", async () => {
    const id = await create(owner, { n: 2 });
    const events = await readEvents(await as(owner, `/api/generations/${id}/events`));
    assert.equal(events.at(-1)!.type, "done");
    const imageId = `${id}-0`;

    const reads: Array<[string, string, RequestInit & { json?: unknown }]> = [
      ["the generation", `/api/generations/${id}`, {}],
      ["its events", `/api/generations/${id}/events`, {}],
      ["its PNG", `/api/images/${imageId}.png`, {}],
      ["its WebP", `/api/images/${imageId}.webp`, {}],
      ["its JPEG thumbnail", `/api/images/${imageId}?format=jpeg&size=32`, {}],
      [
        "feedback on its image",
        "/api/feedback",
        { method: "POST", json: { imageId, rating: "down" } },
      ],
    ];
    for (const [what, path, init] of reads) {
      assert.ok(
        [200, 201].includes((await as(owner, path, init)).status),
        `the owner reads ${what}`
      );
    }
    const unknown = {
      generation: await errorOf(
        await as(owner, "/api/generations/00000000-0000-4000-8000-000000000000")
      ),
      image: await errorOf(
        await as(owner, "/api/images/00000000-0000-4000-8000-000000000000-0.png")
      ),
    };
    assert.equal(unknown.generation.status, 404);

    for (const [who, other] of others) {
      for (const [what, path, init] of reads) {
        const res = await as(other, path, init);
        assert.equal(res.status, 404, `${who}: ${what}`);
        const error = await errorOf(res);
        if (path.startsWith("/api/generations/"))
          expect({ message: `${who}: ${what} looks unknown`, actual: error }).toStrictEqual({
            message: `${who}: ${what} looks unknown`,
            actual: unknown.generation,
          });
        if (path.startsWith("/api/images/"))
          expect({ message: `${who}: ${what} looks unknown`, actual: error }).toStrictEqual({
            message: `${who}: ${what} looks unknown`,
            actual: unknown.image,
          });
      }
      const list = await (await as(other, "/api/generations?limit=100")).json();
      assert.ok(
        !list.items.some((g: { id: string }) => g.id === id),
        `${who}: not in their history`
      );
      const page = await as(other, `/api/generations?before=${id}`);
      assert.equal(page.status, 400, `${who}: the id is no cursor for them either`);
    }
    const mine = await (await as(owner, "/api/generations?limit=100")).json();
    assert.ok(mine.items.some((g: { id: string }) => g.id === id));
    assert.equal((await as(owner, `/api/generations?before=${id}`)).status, 200);
  });

  it("lets only the owner cancel: another's DELETE is a 404 and the job runs on", async () => {
    const id = await create(owner, { steps: 40, width: 512, height: 512 });
    const stream = as(owner, `/api/generations/${id}/events`);
    for (const [who, other] of others) {
      const res = await as(other, `/api/generations/${id}`, { method: "DELETE" });
      assert.equal(res.status, 404, who);
    }
    const events = await readEvents(await stream);
    expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "done" } });

    const mine = await create(owner, { steps: 40, width: 512, height: 512 });
    const followed = as(owner, `/api/generations/${mine}/events`);
    assert.equal((await as(owner, `/api/generations/${mine}`, { method: "DELETE" })).status, 202);
    expect((await readEvents(await followed)).at(-1)).toStrictEqual({
      type: "done",
      data: { status: "cancelled" },
    });
  });

  it("keeps images made through the OpenAI endpoint to their owner too", async () => {
    const res = await as(owner, "/v1/images/generations", {
      method: "POST",
      json: { prompt: "a desert", size: "64x64", response_format: "url" },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const url = new URL((await res.json()).data[0].url);
    assert.equal((await as(owner, url.pathname)).status, 200);
    for (const [who, other] of others)
      assert.equal((await as(other, url.pathname)).status, 404, who);
  });

  it("keeps an arena battle to the person who started it: others can neither see its pictures nor vote", async () => {
    const res = await as(owner, "/api/arena/battles", {
      method: "POST",
      json: { prompt: "a lake at dawn" },
    });
    assert.equal(res.status, 201, await res.clone().text());
    const battle = await res.json();
    const unknown = await errorOf(
      await as(owner, "/api/arena/battles/00000000-0000-4000-8000-000000000000/vote", {
        method: "POST",
        json: { winner: "tie" },
      })
    );
    assert.equal(unknown.status, 404);
    for (const [who, other] of others) {
      assert.equal((await as(other, battle.left.imageUrl)).status, 404, `${who}: the left picture`);
      expect({
        message: who,
        actual: await errorOf(
          await as(other, `/api/arena/battles/${battle.id}/vote`, {
            method: "POST",
            json: { winner: "left" },
          })
        ),
      }).toStrictEqual({ message: who, actual: unknown });
    }
    assert.equal((await as(owner, battle.left.imageUrl)).status, 200);
    assert.equal(
      (
        await as(owner, `/api/arena/battles/${battle.id}/vote`, {
          method: "POST",
          json: { winner: "left" },
        })
      ).status,
      200
    );
  });
});

describe("the log with sign-in on", () => {
  it("never holds a bearer token", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lumen-log-"));
    const fd = openSync(join(dir, "lumen.log"), "a");
    const entra = await startFakeEntra();
    const server = await startTestServer(
      { auth: "entra", authAudience: AUDIENCE, authTenants: T1, authJwksUrl: entra.jwksUrl },
      { logger: createLogger("info", { fd }) }
    );
    try {
      const bearer = await entra.bearer({ tid: T1, oid: "ada", aud: AUDIENCE });
      const res = await server.api("/api/models", {
        headers: { authorization: bearer, cookie: "session=secret-cookie" },
      });
      assert.equal(res.status, 200);
    } finally {
      await server.stop();
      entra.close();
    }
    // The log is written asynchronously; it has the request once the server has closed.
    const log = await until(() => {
      const text = readFileSync(join(dir, "lumen.log"), "utf8");
      return text.includes('"url":"/api/models"') ? text : undefined;
    });
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    assert.match(log, /"authorization":"\[redacted\]"/);
    assert.doesNotMatch(log, /Bearer ey|secret-cookie/);
  });
});

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("the log never showed the request");
    await new Promise((r) => setTimeout(r, 50));
  }
}
