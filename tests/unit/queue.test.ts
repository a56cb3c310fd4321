import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { GenerationEvent } from "../../backend/api/contract";
import { InProcessQueue } from "../../backend/jobs/in-process-queue";
import { QueueFullError, type GenerationJob, type JobRunner, type RunningJob, type SequencedEvent } from "../../backend/jobs/types";

let counter = 0;
const job = (over: Partial<GenerationJob> = {}): GenerationJob => ({
  id: `job-${++counter}`,
  clientId: "c",
  requestId: "r",
  model: "m",
  request: { prompt: "p", seed: 1, n: 1 },
  output: { width: 64, height: 64 },
  userPrompt: "p",
  enqueuedAt: Date.now(),
  batchKey: "a",
  ...over,
});

/** A runner whose batches finish only when the test says so. */
function controlledRunner() {
  const batches: Array<{ jobs: RunningJob[]; finish(): void }> = [];
  const cancelled: string[] = [];
  const cancelledSeqs: number[] = [];
  const runner: JobRunner = {
    run: (jobs) =>
      new Promise<void>((resolve) => {
        const finish = () => {
          for (const j of jobs) j.emit({ type: "done", status: j.signal.aborted ? "cancelled" : "done" });
          resolve();
        };
        batches.push({ jobs, finish });
        for (const j of jobs) j.signal.addEventListener("abort", finish);
      }),
    cancelledWhileWaiting: (j, seq) => {
      cancelled.push(j.id);
      cancelledSeqs.push(seq);
    },
  };
  return { runner, batches, cancelled, cancelledSeqs };
}

const tick = () => new Promise((r) => setImmediate(r));
/** Every event with its id, from `after` on. */
const sequenced = (q: InProcessQueue, id: string, after = 0) => {
  const seen: SequencedEvent[] = [];
  const subscription = q.subscribe(id, (event, seq) => seen.push({ seq, event }), after);
  return { seen, subscription };
};
const events = (q: InProcessQueue, id: string) => {
  const seen: GenerationEvent[] = [];
  q.subscribe(id, (e) => seen.push(e));
  return seen;
};

describe("in-process queue", () => {
  it("runs FIFO, one batch per model lane, and reports positions as they change", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const [a, b, c] = [job(), job(), job()];
    for (const j of [a, b, c]) await q.submit(j);
    const seenC = events(q, c.id);
    await tick();
    assert.deepEqual(batches.map((x) => x.jobs.map((r) => r.job.id)), [[a.id]]);
    assert.deepEqual(q.depth(), { waiting: 2, running: 1 });
    assert.deepEqual(seenC, [{ type: "queued", position: 2 }]);
    batches[0].finish();
    await tick();
    assert.deepEqual(batches.map((x) => x.jobs.map((r) => r.job.id)), [[a.id], [b.id]]);
    assert.deepEqual(seenC.at(-1), { type: "queued", position: 1 });
  });

  it("merges waiting jobs with the same batch key up to maxBatchImages", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 4 });
    await q.submit(job({ batchKey: "busy" })); // occupies the lane while the others arrive
    await tick();
    const jobs = [job(), job({ batchKey: "other" }), job({ request: { prompt: "x", seed: 2, n: 2 } }), job({ request: { prompt: "y", seed: 3, n: 2 } })];
    for (const j of jobs) await q.submit(j);
    batches[0].finish();
    await tick();
    // head (1 image) + third (2 images) = 3; the fourth would make 5 > 4; "other" is not compatible.
    assert.deepEqual(batches[1].jobs.map((r) => r.job.id), [jobs[0].id, jobs[2].id]);
    batches[1].finish();
    await tick();
    assert.deepEqual(batches[2].jobs.map((r) => r.job.id), [jobs[1].id]);
  });

  it("runs different models in parallel lanes", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    await q.submit(job({ model: "m1" }));
    await q.submit(job({ model: "m2" }));
    await tick();
    assert.equal(batches.length, 2);
  });

  it("refuses jobs beyond maxQueue with a Retry-After estimate", async () => {
    const { runner } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 1, concurrency: 1, maxBatchImages: 1 });
    await q.submit(job());
    await tick(); // first is running, the queue is empty again
    await q.submit(job());
    await assert.rejects(q.submit(job()), (e: Error) => e instanceof QueueFullError && e.retryAfterSeconds >= 1);
  });

  it("cancels a waiting job without running it, and a running one through its signal", async () => {
    const { runner, batches, cancelled } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const [a, b] = [job(), job()];
    await q.submit(a);
    await q.submit(b);
    await tick();
    const seenB = events(q, b.id);
    assert.equal(await q.cancel(b.id), true);
    assert.deepEqual(cancelled, [b.id]);
    assert.deepEqual(seenB.at(-1), { type: "done", status: "cancelled" });
    assert.equal(await q.cancel(a.id), true);
    assert.equal(batches[0].jobs[0].signal.aborted, true);
    await tick();
    assert.equal(await q.cancel(a.id), false);
    assert.equal(batches.length, 1);
  });

  it("replays past events to late subscribers", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const a = job();
    await q.submit(a);
    await tick();
    batches[0].finish();
    await tick();
    assert.deepEqual(events(q, a.id).map((e) => e.type), ["queued", "done"]);
    assert.equal(q.subscribe("unknown", () => undefined), undefined);
  });

  it("on close cancels waiting jobs, lets running ones finish within the grace time", async () => {
    const { runner, batches, cancelled } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const [a, b] = [job(), job()];
    await q.submit(a);
    await q.submit(b);
    await tick();
    const closed = q.close(10_000);
    assert.deepEqual(cancelled, [b.id]);
    batches[0].finish();
    await closed;
    assert.equal(batches[0].jobs[0].signal.aborted, false);
    await assert.rejects(q.submit(job()), /shutting down/);
  });

  it("on close aborts running jobs after the grace time", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    await q.submit(job());
    await tick();
    await q.close(20);
    assert.equal(batches[0].jobs[0].signal.aborted, true);
  });

  it("numbers each job's events from 1, replays only those after a given id, and says when nothing more will come", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const [a, b] = [job(), job()];
    await q.submit(a);
    await q.submit(b);
    await tick();
    const run = batches[0].jobs[0];
    assert.equal(run.nextSeq(), 2);
    assert.equal(run.emit({ type: "started", steps: 2, n: 1 }), 2);
    run.emit({ type: "step", step: 1, steps: 2 });
    run.emit({ type: "step", step: 2, steps: 2 }); // replaces step 1 in the replay
    run.emit({ type: "image", id: "x-0", index: 0, seed: 1, url: "/api/images/x-0.png", width: 64, height: 64 });

    const all = sequenced(q, a.id);
    assert.deepEqual(all.seen.map((e) => [e.seq, e.event.type]), [[1, "queued"], [2, "started"], [4, "step"], [5, "image"]]);
    const later = sequenced(q, a.id, 4);
    assert.deepEqual(later.seen.map((e) => e.seq), [5]);
    assert.equal(later.subscription?.ended, false);
    batches[0].finish();
    assert.deepEqual(later.seen.map((e) => [e.seq, e.event.type]), [[5, "image"], [6, "done"]]);
    const afterEnd = sequenced(q, a.id, 6);
    assert.deepEqual([afterEnd.seen, afterEnd.subscription?.ended], [[], true], "a client that had the last event gets nothing and is told so");
    // Another job has its own sequence.
    assert.deepEqual(sequenced(q, b.id).seen.map((e) => [e.seq, e.event.type]), [[1, "queued"]]);
  });

  it("numbers a job resumed after a restart above its seqBase, after the earlier run's events", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const earlier: SequencedEvent[] = [{ seq: 9, event: { type: "image", id: "r-0", index: 0, seed: 1, url: "/api/images/r-0.png", width: 8, height: 8 } }];
    const resumed = job({ seqBase: 1_000_000, firstIndex: 1 });
    await q.submit(resumed, earlier);
    await tick();
    batches[0].finish();
    assert.deepEqual(sequenced(q, resumed.id).seen.map((e) => [e.seq, e.event.type]), [[9, "image"], [1_000_001, "queued"], [1_000_002, "done"]]);
    assert.deepEqual(sequenced(q, resumed.id, 9).seen.map((e) => e.seq), [1_000_001, 1_000_002], "a client that saw the first image before the restart");
  });

  it("gives a job cancelled while waiting the id its final event gets", async () => {
    const { runner, cancelledSeqs } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const [a, b] = [job(), job()];
    await q.submit(a);
    await q.submit(b);
    await tick();
    await q.cancel(b.id);
    const done = sequenced(q, b.id).seen.at(-1)!;
    assert.deepEqual(done.event, { type: "done", status: "cancelled" });
    assert.deepEqual(cancelledSeqs, [done.seq]);
  });
});
