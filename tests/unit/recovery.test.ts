// Restart recovery on a real store and the real in-process queue: what a crash left queued or
// running is queued again for its missing images, or ended as failed with the reason.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { InProcessQueue } from "../../backend/jobs/in-process-queue";
import { INTERRUPTED, recoverJobs } from "../../backend/jobs/recovery";
import { storedEvents } from "../../backend/jobs/replay";
import { SEQ_PER_RUN, type GenerationJob, type SequencedEvent } from "../../backend/jobs/types";
import { createLogger } from "../../backend/observability/logger";
import { openStore, promptHash, type Store } from "../../backend/store";

const dir = mkdtempSync(join(tmpdir(), "lumen-recovery-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const png = (fill: number) => Buffer.from([0x89, 0x50, 0x4e, 0x47, fill]);

function jobFor(id: string, over: Partial<GenerationJob> = {}, n = 2, seed = 10): GenerationJob {
  return {
    id,
    clientId: "c",
    requestId: "r",
    model: "m",
    request: { prompt: "a lake", seed, n, width: 64, height: 64 },
    output: { width: 64, height: 64 },
    userPrompt: "a lake",
    enqueuedAt: 0,
    batchKey: `k-${id}`,
    origin: "api",
    ...over,
  };
}

function add(store: Store, id: string, job: GenerationJob | undefined) {
  return store.createGeneration({
    id,
    clientId: "c",
    prompt: "a lake",
    promptHash: promptHash("a lake"),
    negativePrompt: null,
    params: {},
    model: "m",
    job,
  });
}

describe("restart recovery", () => {
  it("queues again what can still be delivered, and ends the rest as failed with the reason", async () => {
    const store = openStore(dir);
    // Left queued by the crash.
    await add(store, "queued", jobFor("queued"));
    // Running, with its first image stored (and announced as event 7) before the crash.
    await add(store, "half", jobFor("half", {}, 3, 10));
    await store.setStatus("half", "running");
    await store.addImage({
      id: "half-0",
      generationId: "half",
      index: 0,
      seed: 10,
      width: 64,
      height: 64,
      png: png(1),
      eventSeq: 7,
    });
    // Interrupted twice already: it may be what brings the server down.
    await add(store, "crasher", jobFor("crasher"));
    await store.setStatus("crasher", "running");
    await store.requeue("crasher");
    await store.setStatus("crasher", "running");
    await store.addImage({
      id: "crasher-0",
      generationId: "crasher",
      index: 0,
      seed: 10,
      width: 64,
      height: 64,
      png: png(2),
    });
    // No job kept (prompts not stored), an OpenAI-style request, a model since removed.
    await add(store, "nojob", undefined);
    await add(store, "openai", jobFor("openai", { origin: "openai" }));
    await add(store, "gone", jobFor("gone", { model: "removed" }));
    // Every image stored; only the final status was lost.
    await add(store, "complete", jobFor("complete", {}, 1));
    await store.addImage({
      id: "complete-0",
      generationId: "complete",
      index: 0,
      seed: 10,
      width: 64,
      height: 64,
      png: png(3),
      eventSeq: 5,
    });
    // A stored image that is not the first: recovery does not guess.
    await add(store, "gap", jobFor("gap"));
    await store.addImage({
      id: "gap-1",
      generationId: "gap",
      index: 1,
      seed: 11,
      width: 64,
      height: 64,
      png: png(4),
    });
    // Finished before the crash: untouched.
    await add(store, "finished", jobFor("finished"));
    await store.setStatus("finished", "done", { eventSeq: 3 });

    const submitted: Array<{ job: GenerationJob; earlier?: SequencedEvent[] }> = [];
    const queue = new InProcessQueue(
      // Batches run until the queue closes; this test looks only at what was queued.
      {
        run: (batch) =>
          new Promise<void>((resolve) =>
            batch[0].signal.addEventListener("abort", () => resolve())
          ),
        cancelledWhileWaiting: async () => undefined,
      },
      { maxQueue: 10, concurrency: 1, maxBatchImages: 1 }
    );
    const submit = queue.submit.bind(queue);
    queue.submit = (job, earlier) => (submitted.push({ job, earlier }), submit(job, earlier));

    const result = await recoverJobs({
      store,
      queue,
      hasModel: (name) => name === "m",
      logger: createLogger("silent"),
    });

    expect(result.requeued).toStrictEqual(["queued", "half"]);
    expect(result.completed).toStrictEqual(["complete"]);
    expect(result.failed.map((f) => f.id).sort()).toStrictEqual([
      "crasher",
      "gap",
      "gone",
      "nojob",
      "openai",
    ]);
    assert.match(result.failed.find((f) => f.id === "crasher")!.why, /interrupted 2 times/);

    // The queued job runs as it was, numbering its events in a new range.
    const queued = submitted.find((s) => s.job.id === "queued")!;
    expect([
      queued.job.request.n,
      queued.job.request.seed,
      queued.job.firstIndex,
      queued.job.seqBase,
    ]).toStrictEqual([2, 10, 0, SEQ_PER_RUN]);
    // The half-done one makes only images 1 and 2 (seeds 11, 12), after replaying image 0 with its id.
    const half = submitted.find((s) => s.job.id === "half")!;
    expect([half.job.request.n, half.job.request.seed, half.job.firstIndex]).toStrictEqual([
      2, 11, 1,
    ]);
    expect(half.earlier!.map((e) => [e.seq, e.event.type])).toStrictEqual([[7, "image"]]);
    const seen: number[] = [];
    await queue.subscribe("half", (_e, seq) => seen.push(seq));
    // image 0 as before the restart, then the new run's queued event
    expect(seen).toStrictEqual([7, SEQ_PER_RUN + 1]);
    assert.equal((await store.getGeneration("half"))!.status, "queued");
    assert.equal(
      (await store.getGeneration("half"))!.images.length,
      1,
      "image 0 is kept, not made again"
    );

    for (const id of ["crasher", "gap", "gone", "nojob", "openai"]) {
      const g = (await store.getGeneration(id))!;
      expect({ message: id, actual: [g.status, g.error, g.errorCode, g.images] }).toStrictEqual({
        message: id,
        actual: ["failed", INTERRUPTED, "interrupted", []],
      });
      expect(storedEvents(g).at(-1)!.event).toStrictEqual({
        type: "error",
        code: "interrupted",
        message: INTERRUPTED,
      });
    }
    assert.ok(
      storedEvents((await store.getGeneration("crasher"))!).at(-1)!.seq > SEQ_PER_RUN,
      "the final id lies above any the earlier runs sent"
    );
    const complete = (await store.getGeneration("complete"))!;
    assert.equal(complete.status, "done");
    expect(storedEvents(complete).map((e) => e.event.type)).toStrictEqual(["image", "done"]);
    assert.equal((await store.getGeneration("finished"))!.status, "done");
    expect((await store.unfinishedGenerations()).map((g) => g.id).sort()).toStrictEqual([
      "half",
      "queued",
    ]);
    await queue.close(0);
    await store.close();
  });
});
