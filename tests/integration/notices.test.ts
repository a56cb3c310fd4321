// The unknown-words notice end to end, with the real shipped model: the 202 answer, the done event
// (live and replayed from the store after a restart), the OpenAI-compatible endpoint that adds
// nothing, a CLIP-tokenized model that never gets it, and `lumen generate` on stderr.
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { promisify } from "node:util";
import { GenerationAccepted } from "../../contract";
import { modelsDir } from "../../backend/engine";
import { fixtureModel } from "../helpers/fixtures";
import {
  readEvents,
  startTestServer,
  type ReceivedEvent,
  type TestServer,
} from "../helpers/server";

const OUT_OF_DOMAIN = "a bowl of ramen on a wooden table";
const IN_DOMAIN = "a misty lake at sunrise";
const builtIn = { modelsDir: modelsDir(), model: "lumen-landscapes" };

function assertRamenNotice(notices: unknown) {
  assert.ok(Array.isArray(notices) && notices.length === 1, JSON.stringify(notices));
  const [notice] = notices as { code: string; words: string[]; message: string }[];
  assert.equal(notice.code, "unknown_words");
  for (const word of ["ramen", "bowl", "table"])
    assert.ok(notice.words.includes(word), `${word} in ${notice.words.join(", ")}`);
  assert.equal(
    notice.message,
    `Lumen's built-in model paints landscapes and light; it doesn't know: ${notice.words.join(", ")}.`
  );
}

const done = (events: ReceivedEvent[]) => {
  const last = events.at(-1)!;
  assert.equal(last.type, "done", JSON.stringify(last));
  return last.data;
};

describe("unknown-words notice in the API (built-in model)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "lumen-notices-"));
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ...builtIn, dataDir });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const create = async (prompt: string) => {
    const res = await server.api("/api/generations", { method: "POST", json: { prompt, seed: 3 } });
    assert.equal(res.status, 202, await res.clone().text());
    return GenerationAccepted.parse(await res.json());
  };

  let ramenId = "";
  let ramenNotices: unknown;

  it("answers an out-of-domain prompt with the words, and repeats them in the done event", async () => {
    const accepted = await create(OUT_OF_DOMAIN);
    assertRamenNotice(accepted.notices);
    const events = await readEvents(await server.api(accepted.links.events));
    assert.ok(
      events.some((e) => e.type === "image" || e.type === "blocked"),
      "it still generates"
    );
    assert.equal(done(events).status === "done" || done(events).status === "blocked", true);
    expect(done(events).notices).toStrictEqual(accepted.notices);
    ramenId = accepted.id;
    ramenNotices = accepted.notices;
  });

  it("says nothing about an in-domain prompt", async () => {
    const accepted = await create(IN_DOMAIN);
    assert.equal("notices" in accepted, false);
    const events = await readEvents(await server.api(accepted.links.events));
    assert.equal("notices" in done(events), false);
  });

  it("checks the prompt as typed, not the style's suffix", async () => {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: { prompt: IN_DOMAIN, style: "illustration", seed: 3 },
    });
    assert.equal(res.status, 202);
    const accepted = GenerationAccepted.parse(await res.json());
    assert.equal(accepted.notices, undefined, "the suffix's words are Lumen's, not the user's");
    await readEvents(await server.api(accepted.links.events));
  });

  it("is described in the OpenAPI document", async () => {
    const doc = await (await server.api("/api/openapi.json")).json();
    const accepted =
      doc.paths["/api/generations"].post.responses["202"].content["application/json"].schema;
    expect(accepted.properties.notices.items).toStrictEqual({
      $ref: "#/components/schemas/Notice",
    });
    expect(doc.components.schemas.Notice.properties.code).toStrictEqual({
      type: "string",
      enum: ["unknown_words"],
    });
    expect(doc.components.schemas.Notice.required).toStrictEqual(["code", "words", "message"]);
  });

  it("adds nothing to the OpenAI-compatible answer", async () => {
    const res = await server.api("/v1/images/generations", {
      method: "POST",
      json: { prompt: OUT_OF_DOMAIN, size: "128x128" },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const text = await res.text();
    assert.ok(!text.includes("notices") && !text.includes("doesn't know"), text.slice(0, 200));
    // Only fields of OpenAI's ImagesResponse (openai/resources/images.d.ts) and of its Image.
    const openaiFields = [
      "created",
      "background",
      "data",
      "output_format",
      "quality",
      "size",
      "usage",
    ];
    const body = JSON.parse(text);
    for (const key of Object.keys(body))
      assert.ok(openaiFields.includes(key), `${key} is not OpenAI's`);
    for (const item of body.data) expect(Object.keys(item)).toStrictEqual(["b64_json"]);
  });

  it("repeats the notices when the done event is replayed from the store after a restart", async () => {
    assert.ok(ramenId, "the first test created a generation");
    await server.stop();
    server = await startTestServer({ ...builtIn, dataDir });
    const events = await readEvents(await server.api(`/api/generations/${ramenId}/events`));
    expect(done(events).notices).toStrictEqual(ramenNotices);
  });
});

describe("unknown-words notice on a CLIP-tokenized model", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(); // the sd15 fixture: CLIP's 49408-token BPE
  });
  afterAll(() => server?.stop());

  it("never comes, whatever the prompt", async () => {
    const res = await server.api("/api/generations", {
      method: "POST",
      json: {
        prompt: `${OUT_OF_DOMAIN}, a red sports car at night`,
        width: 64,
        height: 64,
        steps: 2,
      },
    });
    assert.equal(res.status, 202);
    const accepted = GenerationAccepted.parse(await res.json());
    assert.equal(accepted.notices, undefined);
    const events = await readEvents(await server.api(accepted.links.events));
    assert.equal("notices" in done(events), false);
  });
});

describe("unknown-words notice in lumen generate", () => {
  const work = mkdtempSync(join(tmpdir(), "lumen-notices-cli-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const bin = join(import.meta.dirname, "..", "..", "bin", "lumen.js");

  async function generate(model: string, prompt: string, extra: string[] = []) {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [
        bin,
        "generate",
        "--model",
        model,
        "--prompt",
        prompt,
        "--seed",
        "1",
        "--device",
        "cpu",
        "--out",
        join(work, "out.png"),
        ...extra,
      ],
      { cwd: work }
    );
    return { stdout, stderr };
  }

  it("prints the sentence on stderr for an out-of-domain prompt, and not on stdout", async () => {
    const run = await generate("lumen-landscapes", OUT_OF_DOMAIN);
    const line = run.stderr.split("\n").find((l) => l.includes("doesn't know"));
    assert.ok(line, run.stderr);
    assert.match(
      line,
      /^lumen: Lumen's built-in model paints landscapes and light; it doesn't know: .*\.$/
    );
    for (const word of ["ramen", "bowl", "table"]) assert.ok(line.includes(word), line);
    assert.ok(!run.stdout.includes("doesn't know"));
    assert.match(run.stdout, /out\.png\tseed 1/, "the image is written all the same");
  });

  it("prints nothing of the kind for an in-domain prompt or a CLIP-tokenized model", async () => {
    assert.ok(!(await generate("lumen-landscapes", IN_DOMAIN)).stderr.includes("doesn't know"));
    const clip = await generate(fixtureModel("sd15"), OUT_OF_DOMAIN, [
      "--width",
      "64",
      "--height",
      "64",
      "--steps",
      "2",
    ]);
    assert.ok(!clip.stderr.includes("doesn't know"), clip.stderr);
  });
});
