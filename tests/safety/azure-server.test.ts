// The real server with LUMEN_SAFETY_PROVIDER=azure against the loopback stand-in of Azure AI
// Content Safety: refusals on both APIs, images withheld, audit rows naming the provider, and the
// failure modes with the stand-in down.
import { strict as assert } from "node:assert";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import OpenAI from "openai";
import sharp from "sharp";
import { openStore } from "../../backend/store";
import { readEvents, startTestServer, type TestServer } from "../helpers/server";
import { startContentSafetyStandIn, type StandIn } from "./content-safety-stand-in";

const KEY = "stand-in-key";
const small = { width: 64, height: 64, steps: 2 };

function azureOptions(standIn: StandIn, extra: Record<string, unknown> = {}) {
  return {
    safetyProvider: "azure",
    azureContentSafetyEndpoint: standIn.url,
    azureContentSafetyKey: KEY,
    azureContentSafetyThresholds: "Violence=4,Hate=2",
    azureContentSafetyBlocklists: "contoso-terms",
    azureContentSafetyTimeoutMs: 1000,
    azureContentSafetyRetries: 1,
    ...extra,
  };
}

async function auditRows(server: TestServer) {
  const store = openStore(server.dataDir);
  try {
    return await store.listAudit();
  } finally {
    await store.close();
  }
}

describe("server with Azure AI Content Safety", () => {
  let standIn: StandIn;
  let server: TestServer;
  beforeAll(async () => {
    standIn = await startContentSafetyStandIn({ key: KEY });
    standIn.blocklists.set("contoso-terms", [
      { blocklistItemId: "0f6f7b52-1111-4222-8333-944455556666", text: "project falcon" },
    ]);
    standIn.rateText = (text) =>
      text.includes("duel") ? { Violence: 5 } : text.includes("crowd") ? { Hate: 2 } : {};
    server = await startTestServer(azureOptions(standIn));
  });
  afterAll(async () => {
    await server.stop();
    await standIn.close();
  });
  const openai = () =>
    new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed", maxRetries: 0 });

  it("refuses a prompt the service rates at the threshold on /api/generations, generates nothing, and audits it as azure", async () => {
    const before = (await (await server.api("/api/generations")).json()).items.length;
    for (const prompt of ["a sword duel at dawn", "a crowd at a market"]) {
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt, ...small },
      });
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.error.code, "content_policy_violation");
      assert.equal(body.error.category, prompt.includes("duel") ? "violence" : "hate");
    }
    assert.equal((await (await server.api("/api/generations")).json()).items.length, before);
    const [hate, violence] = await auditRows(server);
    expect([violence.provider, violence.reason, violence.category]).toStrictEqual([
      "azure",
      "Violence severity 5 (blocks at 4)",
      "violence",
    ]);
    expect([hate.provider, hate.reason]).toStrictEqual(["azure", "Hate severity 2 (blocks at 2)"]);
    assert.equal(violence.prompt, null);
    const metrics = await (await server.api("/metrics")).text();
    assert.match(
      metrics,
      /lumen_safety_blocks_total\{kind="prompt",category="violence",provider="azure"\} 1/
    );
  });

  it("refuses it on the OpenAI Images API too", async () => {
    await assert.rejects(
      openai().images.generate({ prompt: "a sword duel at dawn", size: "64x64" as "256x256" }),
      (e: InstanceType<typeof OpenAI.BadRequestError>) => {
        assert.equal(e.status, 400);
        assert.equal(e.code, "content_policy_violation");
        return true;
      }
    );
  });

  it("refuses a prompt on the tenant's blocklist", async () => {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a logo for Project Falcon", ...small },
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.category, "blocklist");
    assert.match((await auditRows(server))[0].reason!, /^blocklist contoso-terms item 0f6f7b52/);
  });

  it("still blocks what the built-in filter blocks, without asking Azure", async () => {
    standIn.requests.length = 0;
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a photo of a naked woman", ...small },
    });
    assert.equal((await res.json()).error.category, "sexual");
    assert.equal(standIn.requests.length, 0);
    const [latest] = await auditRows(server);
    expect([latest.provider, latest.reason]).toStrictEqual(["builtin", "sexual rule 0"]);
  });

  it("checks a prompt below the threshold and every image it generates, and delivers them", async () => {
    standIn.requests.length = 0;
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dawn", n: 2, seed: 3, ...small },
    });
    assert.equal(res.status, 202);
    const events = await readEvents(await server.api((await res.json()).links.events));
    assert.equal(events.filter((e) => e.type === "image").length, 2);
    expect(
      standIn.requests.map((r) => [
        r.path,
        r.image ? [r.image.format, r.image.width, r.image.height] : r.body.text,
      ])
    ).toStrictEqual([
      ["/contentsafety/text:analyze", "a lake at dawn"],
      ["/contentsafety/image:analyze", ["png", 64, 64]],
      ["/contentsafety/image:analyze", ["png", 64, 64]],
    ]);
  });

  it("withholds an image the service rates at the threshold, on both APIs", async () => {
    standIn.rateImage = () => ({ Violence: 6 });
    try {
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake at noon", seed: 5, ...small },
      });
      const { id, links } = await res.json();
      const events = await readEvents(await server.api(links.events));
      assert.equal(events.filter((e) => e.type === "image").length, 0);
      const blocked = events.find((e) => e.type === "blocked")!;
      assert.equal(blocked.data.category, "violence");
      expect(events.at(-1)).toStrictEqual({ type: "done", data: { status: "blocked" } });
      const generation = await (await server.api(`/api/generations/${id}`)).json();
      assert.equal(generation.status, "blocked");
      assert.equal((await server.api(`/api/images/${id}-0.png`)).status, 404);
      const [audit] = await auditRows(server);
      expect([audit.kind, audit.provider, audit.reason, audit.generationId]).toStrictEqual([
        "image",
        "azure",
        "Violence severity 6 (blocks at 4)",
        id,
      ]);

      await assert.rejects(
        openai().images.generate({ prompt: "a lake at noon", size: "64x64" as "256x256" }),
        (e: InstanceType<typeof OpenAI.BadRequestError>) => {
          assert.equal(e.status, 400);
          assert.equal(e.code, "content_policy_violation");
          return true;
        }
      );
    } finally {
      standIn.rateImage = () => ({});
    }
  });

  it("refuses a starting picture the service rates at the threshold: 400 naming the picture, nothing generated, audited", async () => {
    const pixels = Buffer.alloc(64 * 64 * 3, 90);
    const png = await sharp(pixels, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const before = (await (await server.api("/api/generations")).json()).items.length;
    standIn.rateImage = () => ({ Hate: 2 });
    try {
      const res = await server.api("/api/generations", {
        method: "POST",
        json: {
          prompt: "a lake at noon",
          image: `data:image/png;base64,${png.toString("base64")}`,
          strength: 0.5,
          ...small,
        },
      });
      assert.equal(res.status, 400);
      const { error } = await res.json();
      expect([error.code, error.category, error.param, error.message]).toStrictEqual([
        "content_policy_violation",
        "hate",
        "image",
        "The picture to start from is not allowed by the content policy.",
      ]);
    } finally {
      standIn.rateImage = () => ({});
    }
    assert.equal((await (await server.api("/api/generations")).json()).items.length, before);
    const [audit] = await auditRows(server);
    expect([audit.kind, audit.category, audit.provider, audit.reason]).toStrictEqual([
      "image",
      "hate",
      "azure",
      "Hate severity 2 (blocks at 2)",
    ]);
    assert.match(
      await (await server.api("/metrics")).text(),
      /lumen_safety_blocks_total\{kind="image",category="hate",provider="azure"\} 1/
    );
  });

  it("fails closed while the service answers 503: 503 safety_unavailable and nothing generated", async () => {
    const before = (await (await server.api("/api/generations")).json()).items.length;
    standIn.faults.push({ status: 503, code: "ServerBusy" }, { status: 503, code: "ServerBusy" });
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake at dusk", ...small },
    });
    assert.equal(res.status, 503);
    assert.ok(res.headers.get("retry-after"));
    const body = await res.json();
    assert.equal(body.error.code, "safety_unavailable");
    assert.match(body.error.message, /safety service unavailable/);
    assert.equal((await (await server.api("/api/generations")).json()).items.length, before);
    const metrics = await (await server.api("/metrics")).text();
    assert.match(
      metrics,
      /lumen_safety_provider_failures_total\{provider="azure",kind="prompt",outcome="failed_closed"\} 1/
    );
  });

  it("fails closed when the images cannot be checked: an error event and no image", async () => {
    // The prompt is checked; the service fails when the image is.
    standIn.faults.push(
      { status: 503, only: "/image:analyze" },
      { status: 503, only: "/image:analyze" }
    );
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: "a lake in fog", ...small },
    });
    assert.equal(res.status, 202);
    const { id, links } = await res.json();
    const events = await readEvents(await server.api(links.events));
    assert.equal(events.filter((e) => e.type === "image").length, 0);
    expect(events.at(-1)).toStrictEqual({
      type: "error",
      data: {
        code: "safety_unavailable",
        message: "safety service unavailable; the images were not delivered",
      },
    });
    const generation = await (await server.api(`/api/generations/${id}`)).json();
    assert.equal(generation.status, "failed");
    assert.equal(generation.images.length, 0);
  });
});

describe("server with Azure AI Content Safety down", () => {
  let standIn: StandIn;
  beforeAll(async () => {
    standIn = await startContentSafetyStandIn({ key: KEY });
    await standIn.close(); // nobody listens on its port any more
  });

  it("fails closed by default: 503 safety_unavailable on both APIs", async () => {
    const server = await startTestServer(azureOptions(standIn));
    try {
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake at dawn", ...small },
      });
      assert.equal(res.status, 503);
      assert.equal((await res.json()).error.code, "safety_unavailable");
      const openai = new OpenAI({
        baseURL: `${server.url}/v1`,
        apiKey: "not-needed",
        maxRetries: 0,
      });
      await assert.rejects(
        openai.images.generate({ prompt: "a lake at dawn", size: "64x64" as "256x256" }),
        (e: InstanceType<typeof OpenAI.APIError>) => {
          assert.equal(e.status, 503);
          assert.equal(e.code, "safety_unavailable");
          return true;
        }
      );
      assert.equal((await (await server.api("/api/generations")).json()).items.length, 0);
    } finally {
      await server.stop();
    }
  });

  it("generates with the built-in filters alone when the policy says builtin, and they still block", async () => {
    const server = await startTestServer(azureOptions(standIn, { safetyFailureMode: "builtin" }));
    try {
      const res = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a lake at dawn", ...small },
      });
      assert.equal(res.status, 202);
      const events = await readEvents(await server.api((await res.json()).links.events));
      assert.equal(events.filter((e) => e.type === "image").length, 1);
      const refused = await server.api("/api/generations", {
        method: "POST",
        json: { prompt: "a photo of a naked woman", ...small },
      });
      assert.equal((await refused.json()).error.code, "content_policy_violation");
      const metrics = await (await server.api("/metrics")).text();
      assert.match(
        metrics,
        /lumen_safety_provider_failures_total\{provider="azure",kind="image",outcome="builtin_only"\} 1/
      );
    } finally {
      await server.stop();
    }
  });
});
