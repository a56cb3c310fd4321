// The arena over HTTP against the real server, models, queue and filters: battles, the one-vote
// rule, the reveal, the leaderboard, the policy switch and the prompt filter.
import { strict as assert } from "node:assert";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import sharp from "sharp";
import { loadConfig } from "../../backend/config";
import { readProvenance } from "../../backend/provenance";
import { startTestServer, type TestServer } from "../helpers/server";

const UNSAFE = "a photo of a naked woman";

const policyFile = (policy: object) => {
  const path = join(mkdtempSync(join(tmpdir(), "lumen-policy-")), "policy.json");
  writeFileSync(path, JSON.stringify(policy));
  return path;
};

async function battle(
  server: TestServer,
  prompt = "a misty lake at dawn",
  headers: Record<string, string> = {}
) {
  const res = await server.api("/api/arena/battles", { method: "POST", json: { prompt }, headers });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as {
    id: string;
    left: { imageUrl: string };
    right: { imageUrl: string };
  };
}

const vote = (
  server: TestServer,
  id: string,
  winner: string,
  headers: Record<string, string> = {}
) => server.api(`/api/arena/battles/${id}/vote`, { method: "POST", json: { winner }, headers });

describe("arena between installed models", () => {
  let server: TestServer;
  beforeAll(async () => {
    // Three fixture models are installed (sd15, sd21, sdxl); the policy allows two, at a small size.
    server = await startTestServer({
      policy: policyFile({ allowedModels: ["sd15", "sd21"], maxSize: 128 }),
    });
  });
  afterAll(() => server.stop());

  it("is on, as the policy endpoint says, where two contenders exist", async () => {
    const policy = await (await server.api("/api/policy")).json();
    expect(policy.arena).toStrictEqual({ enabled: true });
  });

  it("draws two anonymous pictures of one prompt and reveals who drew which after the vote", async () => {
    const b = await battle(server);
    expect(Object.keys(b).sort()).toStrictEqual(["id", "left", "right"]);
    assert.equal(b.left.imageUrl, `/api/arena/battles/${b.id}/images/left`);
    assert.ok(!JSON.stringify(b).match(/sd15|sd21/), "nothing in the battle names a contender");

    const pictures = await Promise.all(
      [b.left.imageUrl, b.right.imageUrl].map(async (url) => {
        const res = await server.api(url);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "image/png");
        return Buffer.from(await res.arrayBuffer());
      })
    );
    for (const png of pictures)
      expect(
        await sharp(png)
          .metadata()
          .then((m) => [m.width, m.height])
      ).toStrictEqual([128, 128]);
    expect(pictures[0]).not.toStrictEqual(pictures[1]);

    const res = await vote(server, b.id, "left");
    assert.equal(res.status, 200);
    const reveal = await res.json();
    assert.equal(reveal.winner, "left");
    expect([reveal.left.contender, reveal.right.contender].sort()).toStrictEqual(["sd15", "sd21"]);
    // The picture on each side is the revealed contender's: its provenance names that model.
    assert.match(
      (await readProvenance(pictures[0])).parameters ?? "",
      new RegExp(`Model: ${reveal.left.contender},`)
    );
    assert.match(
      (await readProvenance(pictures[1])).parameters ?? "",
      new RegExp(`Model: ${reveal.right.contender},`)
    );
  });

  it("takes one vote per battle and person: a second is refused and not counted", async () => {
    const b = await battle(server, "a snowy mountain at sunset");
    assert.equal((await vote(server, b.id, "tie")).status, 200);
    const again = await vote(server, b.id, "right");
    assert.equal(again.status, 409);
    assert.equal((await again.json()).error.code, "already_voted");
    const board = await (await server.api("/api/arena/leaderboard")).json();
    assert.equal(board.votes, 2);
    const metrics = await (await server.api("/metrics")).text();
    assert.match(metrics, /lumen_arena_votes_total\{winner="tie"\} 1\n/);
    assert.match(metrics, /lumen_arena_votes_total\{winner="left"\} 1\n/);
  });

  it("refuses a bad vote and a vote on an unknown battle, changing nothing", async () => {
    const b = await battle(server, "a river in a forest");
    const bad = await vote(server, b.id, "draw");
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error.message, /winner/);
    assert.equal((await vote(server, "no-such-battle", "left")).status, 404);
    assert.equal((await server.api(`/api/arena/battles/${b.id}/images/middle`)).status, 404);
    assert.equal((await server.api("/api/arena/battles/nope/images/left")).status, 404);
    assert.equal((await (await server.api("/api/arena/leaderboard")).json()).votes, 2);
  });

  it("refuses an unsafe prompt before anything is generated, and audits it once", async () => {
    const before = (await (await server.api("/api/generations")).json()).items.length;
    const res = await server.api("/api/arena/battles", {
      method: "POST",
      json: { prompt: UNSAFE },
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error.code, "content_policy_violation");
    assert.equal(body.error.category, "sexual");
    assert.equal((await (await server.api("/api/generations")).json()).items.length, before);
    const metrics = await (await server.api("/metrics")).text();
    assert.match(
      metrics,
      /lumen_safety_blocks_total\{kind="prompt",category="sexual",provider="builtin"\} 1\n/
    );
  });

  it("ranks the contenders by the votes, with intervals, overall and per prompt category", async () => {
    // Lakes: whichever side sd21 drew wins; a person: sd15 wins.
    for (const [prompt, favourite] of [
      ["a lake under the stars", "sd21"],
      ["a quiet lake in autumn", "sd21"],
      ["a lake at noon", "sd21"],
      ["a portrait of an old fisherman", "sd15"],
    ] as const) {
      const b = await battle(server, prompt);
      // Vote once to see the sides, as a person would after looking: a second client votes for the favourite.
      const seen = await (
        await vote(server, b.id, "both_bad", { "x-forwarded-for": "10.0.0.1" })
      ).json();
      const side = seen.left.contender === favourite ? "left" : "right";
      assert.equal((await vote(server, b.id, side)).status, 200);
    }
    const all = await (await server.api("/api/arena/leaderboard")).json();
    assert.equal(all.votes, 10);
    assert.equal(all.category, null);
    expect(all.contenders.map((c: { name: string }) => c.name)).toStrictEqual(["sd21", "sd15"]);
    for (const c of all.contenders) {
      assert.ok(c.ci95[0] <= c.score && c.score <= c.ci95[1], JSON.stringify(c));
      assert.equal(c.battles, 10);
      assert.equal(c.wins + c.ties + c.losses, c.battles);
      assert.equal(c.provisional, true, "10 battles are fewer than a fair interval needs");
    }
    assert.ok(Math.abs((all.contenders[0].score + all.contenders[1].score) / 2 - 1000) < 0.2);
    assert.ok(Date.parse(all.updatedAt) > 0);
    assert.equal(all.categories.find((c: { name: string }) => c.name === "landscape").votes, 8);
    assert.equal(all.categories.find((c: { name: string }) => c.name === "people").votes, 2);

    const people = await (await server.api("/api/arena/leaderboard?category=people")).json();
    assert.equal(people.category, "people");
    assert.equal(people.votes, 2);
    expect(people.contenders.map((c: { name: string }) => c.name)).toStrictEqual(["sd15", "sd21"]);
    const unknown = await server.api("/api/arena/leaderboard?category=cats");
    assert.equal(unknown.status, 400);
    assert.match((await unknown.json()).error.message, /category must be one of/);
  });
});

describe("arena of named settings of one model", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      policy: policyFile({
        allowedModels: ["sd15"],
        maxSize: 64,
        arena: {
          contenders: [
            { name: "quick", steps: 2, scheduler: "ddim" },
            { name: "careful", steps: 4, guidance: 3 },
          ],
        },
      }),
    });
  });
  afterAll(() => server.stop());

  it("runs each picture with its contender's settings and the same seed", async () => {
    const b = await battle(server);
    const reveal = await (await vote(server, b.id, "right")).json();
    expect([reveal.left.contender, reveal.right.contender].sort()).toStrictEqual([
      "careful",
      "quick",
    ]);
    const { items } = await (await server.api("/api/generations")).json();
    const [first, second] = items.map((g: { params: Record<string, unknown> }) => g.params);
    const bySteps = Object.fromEntries([first, second].map((p) => [p.steps, p]));
    assert.equal(bySteps[2].scheduler, "ddim");
    assert.equal(bySteps[4].guidance, 3);
    assert.equal(bySteps[4].scheduler, undefined);
    assert.equal(first.seed, second.seed);
  });
});

describe("arena switched off", () => {
  it("by the tenant policy: battles are refused, the leaderboard still reads", async () => {
    const server = await startTestServer({ policy: policyFile({ arena: { enabled: false } }) });
    try {
      expect((await (await server.api("/api/policy")).json()).arena).toStrictEqual({
        enabled: false,
      });
      const res = await server.api("/api/arena/battles", {
        method: "POST",
        json: { prompt: "a lake" },
      });
      assert.equal(res.status, 409);
      const body = await res.json();
      assert.equal(body.error.code, "arena_unavailable");
      assert.match(body.error.message, /turned off by your organisation's policy/);
      assert.equal((await server.api("/api/arena/leaderboard")).status, 200);
      assert.equal((await (await server.api("/api/generations")).json()).items.length, 0);
    } finally {
      await server.stop();
    }
  });

  it("where only one model can run and no settings are declared", async () => {
    const server = await startTestServer({ allowedModels: ["sd15"] });
    try {
      assert.equal((await (await server.api("/api/policy")).json()).arena.enabled, false);
      const res = await server.api("/api/arena/battles", {
        method: "POST",
        json: { prompt: "a lake" },
      });
      assert.equal(res.status, 409);
      assert.match((await res.json()).error.message, /two or more contenders.*there is 1/);
    } finally {
      await server.stop();
    }
  });

  it("refuses to start with a declared contender whose model is not installed or not allowed", async () => {
    await assert.rejects(
      startTestServer({ arenaContenders: [{ name: "a", model: "nope" }, { name: "b" }] }),
      /arena contender "a" runs model "nope", which is not installed/
    );
    await assert.rejects(
      startTestServer({
        allowedModels: ["sd15"],
        arenaContenders: [{ name: "a", model: "sd21" }, { name: "b" }],
      }),
      /arena contender "a" runs model "sd21", which the policy does not allow/
    );
  });

  it("names what is wrong in declared contenders", () => {
    assert.throws(
      () => loadConfig({ arenaContenders: [{ name: "a" }, { name: "a" }] }, {}),
      /arenaContenders.*unique/
    );
    assert.throws(
      () => loadConfig({ arenaContenders: [{ name: "a", scheduler: "heun" }] }, {}),
      /arenaContenders/
    );
    assert.throws(() => loadConfig({}, { LUMEN_ARENA_CONTENDERS: "fast" }), /JSON array/);
    assert.throws(
      () => loadConfig({ policy: policyFile({ arena: { enabled: "yes" } }) }, {}),
      /arena\.enabled/
    );
    const fromEnv = loadConfig(
      {},
      {
        LUMEN_ARENA_CONTENDERS: '[{"name": "fast", "steps": 2}, {"name": "slow"}]',
        LUMEN_ARENA: "false",
      }
    );
    expect(fromEnv.arenaContenders).toStrictEqual([{ name: "fast", steps: 2 }, { name: "slow" }]);
    assert.equal(fromEnv.arena, false);
  });
});
