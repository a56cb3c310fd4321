// kill -9 in the middle of work, then a restart on the same data directory: jobs that were queued
// or running are queued again for the images they had not stored (no duplicates of those they
// had), a request nobody is left waiting for ends as failed, and every stream, the history and
// DELETE tell the truth afterwards.
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { EventSourceParserStream } from "eventsource-parser/stream";
import sharp from "sharp";
import { spawnServer, type ServerProcess } from "../helpers/process-server";
import { readEvents, readEventsWithIds } from "../helpers/server";

const dataDir = mkdtempSync(join(tmpdir(), "lumen-recovery-"));
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

const small = { width: 64, height: 64, steps: 2 };
// Four large images: they are checked, encoded and stored one after another at the end of the job.
const big = { prompt: "a lake at dawn", n: 4, width: 1024, height: 1024, steps: 3, seed: 100 };
/** Of the pixels: each file's signed Content Credentials name its own image and signing time. */
const sha = async (bytes: ArrayBuffer) =>
  createHash("sha256")
    .update(await sharp(Buffer.from(bytes)).raw().toBuffer())
    .digest("hex");

describe("kill -9 and a restart", () => {
  it("resumes interrupted jobs for their missing images, fails what nobody waits for, and tells the truth", async () => {
    const first = await spawnServer({ dataDir, env: { LUMEN_MAX_BATCH_IMAGES: "1" } });
    servers.push(first);
    await first.waitReady();
    const post = async (server: ServerProcess, body: Record<string, unknown>) => {
      const res = await server.api("/api/generations", { method: "POST", json: body });
      assert.equal(res.status, 202, await res.clone().text());
      return (await res.json()).id as string;
    };
    const x = await post(first, big);
    const y = await post(first, { prompt: "a river", ...small });
    const z = await post(first, {
      prompt: "a forest",
      ...small,
      steps: 20,
      width: 512,
      height: 512,
    });
    // An OpenAI-style request waits on its connection, which the kill ends.
    void first
      .api("/v1/images/generations", {
        method: "POST",
        json: { prompt: "a harbour", size: "64x64" },
      })
      .catch(() => undefined);

    // Follow X until its first image is stored and announced, then kill the whole process group.
    const reader = (await first.api(`/api/generations/${x}/events`))
      .body!.pipeThrough(new TextDecoderStream())
      .pipeThrough(new EventSourceParserStream())
      .getReader();
    let firstImageId: number | undefined;
    while (firstImageId === undefined) {
      const { done, value } = await reader.read();
      assert.ok(!done, "the stream ended before an image");
      if (value.event === "image") firstImageId = Number(value.id);
    }
    await first.kill();

    const second = await spawnServer({ dataDir, env: { LUMEN_MAX_BATCH_IMAGES: "1" } });
    servers.push(second);
    const get = async (id: string) => (await second.api(`/api/generations/${id}`)).json();
    const { items } = await (await second.api("/api/generations?limit=100")).json();
    const w = items.find((g: { prompt: string }) => g.prompt === "a harbour");

    // The OpenAI request's caller is gone: failed, and everything says so.
    expect([w.status, w.error]).toStrictEqual(["failed", "interrupted by a restart"]);
    const cancelW = await second.api(`/api/generations/${w.id}`, { method: "DELETE" });
    assert.equal(cancelW.status, 400);
    assert.match((await cancelW.json()).error.message, /already finished \(failed\)/);
    expect(
      (await readEvents(await second.api(`/api/generations/${w.id}/events`))).at(-1)
    ).toStrictEqual({
      type: "error",
      data: { code: "interrupted", message: "interrupted by a restart" },
    });

    // Queued again: Z can be cancelled like any waiting job.
    assert.equal((await get(z)).status, "queued");
    assert.equal((await second.api(`/api/generations/${z}`, { method: "DELETE" })).status, 202);

    // X: the client that had the first image asks for what came after and gets the rest, once.
    const resumed = await readEventsWithIds(
      await second.api(`/api/generations/${x}/events`, {
        headers: { "last-event-id": String(firstImageId) },
      })
    );
    assert.ok(
      resumed.every((e) => Number(e.id) > firstImageId!),
      "only events after the one it had"
    );
    const resumedImages = resumed.filter((e) => e.type === "image").map((e) => e.data.index);
    // images 1–3 (stored before the kill or made after it), not image 0 again
    expect(resumedImages).toStrictEqual([1, 2, 3]);
    expect(resumed.at(-1)).toStrictEqual({
      id: resumed.at(-1)!.id,
      type: "done",
      data: { status: "done" },
    });

    const full = await readEvents(await second.api(`/api/generations/${x}/events`));
    // each image exactly once
    expect(full.filter((e) => e.type === "image").map((e) => e.data.index)).toStrictEqual([
      0, 1, 2, 3,
    ]);
    const done = await get(x);
    assert.equal(done.status, "done");
    expect(
      done.images.map((i: { index: number; seed: number }) => [i.index, i.seed])
    ).toStrictEqual([
      [0, 100],
      [1, 101],
      [2, 102],
      [3, 103],
    ]);

    // The images made after the restart are the ones an uninterrupted run makes: image 3 (seed 103) alone.
    const alone = await post(second, { ...big, n: 1, seed: 103 });
    await readEvents(await second.api(`/api/generations/${alone}/events`));
    const [resumedImage, aloneImage] = await Promise.all(
      [`${x}-3`, `${alone}-0`].map(
        async (id) => await sha(await (await second.api(`/api/images/${id}.png`)).arrayBuffer())
      )
    );
    assert.equal(resumedImage, aloneImage);

    await readEvents(await second.api(`/api/generations/${y}/events`));
    assert.equal((await get(y)).status, "done");
    assert.equal((await get(z)).status, "cancelled");

    second.signal("SIGTERM");
    assert.equal(await second.exited(30_000), 0);
  });
});
