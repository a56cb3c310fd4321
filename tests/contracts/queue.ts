// The JobQueue contract: what the in-process queue and the Redis queue (with its workers) must
// do, run by each one's test file. Jobs run on a runner the test controls.
import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import type { GenerationEvent } from "../../contract";
import {
  QueueFullError,
  type GenerationJob,
  type JobQueue,
  type JobRunner,
  type RunningJob,
  type SequencedEvent,
} from "../../backend/jobs/types";

export interface QueueOptions {
  maxQueue: number;
  concurrency: number;
  maxBatchImages: number;
}

export interface QueueFactory {
  /** A queue on a fresh namespace with workers (`concurrency` per model) that run batches on `runner`. */
  create(
    runner: JobRunner,
    options: QueueOptions
  ): Promise<{ queue: JobQueue; close(): Promise<void> }>;
}

let counter = 0;
export const job = (over: Partial<GenerationJob> = {}): GenerationJob => ({
  id: `job-${process.pid}-${Date.now()}-${++counter}`,
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

/** A runner whose batches finish only when the test says so (or when a job of theirs is cancelled). */
export function controlledRunner() {
  const batches: Array<{ jobs: RunningJob[]; finish(): void }> = [];
  const cancelled: string[] = [];
  const cancelledSeqs: number[] = [];
  const runner: JobRunner = {
    run: (jobs) =>
      new Promise<void>((resolve) => {
        let finished = false;
        const finish = () => {
          if (finished) return;
          finished = true;
          for (const j of jobs)
            j.emit({ type: "done", status: j.signal.aborted ? "cancelled" : "done" });
          resolve();
        };
        batches.push({ jobs, finish });
        for (const j of jobs) j.signal.addEventListener("abort", finish);
      }),
    cancelledWhileWaiting: async (j, seq) => {
      cancelled.push(j.id);
      cancelledSeqs.push(seq);
    },
  };
  return { runner, batches, cancelled, cancelledSeqs };
}

/** Polls until the condition holds (a queue across processes has no tick to wait for); fails after 10 s. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what = "the condition"
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every event with its id, from `after` on, as it arrives. */
export async function follow(q: JobQueue, id: string, after = 0) {
  const seen: SequencedEvent[] = [];
  const subscription = await q.subscribe(id, (event, seq) => seen.push({ seq, event }), after);
  return {
    seen,
    subscription,
    types: () => seen.map((e) => e.event.type),
    last: (): GenerationEvent | undefined => seen.at(-1)?.event,
  };
}

export function queueContract(name: string, factory: QueueFactory): void {
  describe(`job queue contract: ${name}`, () => {
    const ids = (batch: { jobs: RunningJob[] }) => batch.jobs.map((r) => r.job.id);

    it("runs jobs in order, one batch per lane at a time, and counts waiting and running jobs", async () => {
      const { runner, batches } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 1,
      });
      const [a, b, c] = [job(), job(), job()];
      for (const j of [a, b, c]) await q.submit(j);
      const seenC = await follow(q, c.id);
      await waitFor(() => batches.length === 1, "the first batch");
      expect(ids(batches[0])).toStrictEqual([a.id]);
      await waitFor(
        async () => (await q.depth()).running === 1 && (await q.depth()).waiting === 2,
        "depth 2 waiting, 1 running"
      );
      // Its place among the waiting jobs when it arrived: behind b, and behind a unless a had started.
      const first = seenC.seen[0].event;
      assert.ok(
        first.type === "queued" && (first.position === 2 || first.position === 3),
        JSON.stringify(first)
      );
      batches[0].finish();
      await waitFor(() => batches.length === 2, "the second batch");
      expect(ids(batches[1])).toStrictEqual([b.id]);
      batches[1].finish();
      await waitFor(() => batches.length === 3, "the third batch");
      batches[2].finish();
      await waitFor(() => seenC.last()?.type === "done", "c's done event");
      await waitFor(async () => (await q.depth()).running === 0, "nothing running");
      await close();
    });

    it("merges waiting jobs with the same batch key up to maxBatchImages", async () => {
      const { runner, batches } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 4,
      });
      await q.submit(job({ batchKey: "busy" })); // occupies the lane while the others arrive
      await waitFor(() => batches.length === 1, "the first batch");
      const jobs = [
        job(),
        job({ batchKey: "other" }),
        job({ request: { prompt: "x", seed: 2, n: 2 } }),
        job({ request: { prompt: "y", seed: 3, n: 2 } }),
      ];
      for (const j of jobs) await q.submit(j);
      batches[0].finish();
      await waitFor(() => batches.length === 2, "the second batch");
      // head (1 image) + third (2 images) = 3; the fourth would make 5 > 4; "other" is not compatible.
      expect(ids(batches[1])).toStrictEqual([jobs[0].id, jobs[2].id]);
      batches[1].finish();
      await waitFor(() => batches.length === 3, "the third batch");
      expect(ids(batches[2])).toStrictEqual([jobs[1].id]);
      batches[2].finish();
      await waitFor(() => batches.length === 4, "the fourth batch");
      expect(ids(batches[3])).toStrictEqual([jobs[3].id]);
      batches[3].finish();
      await close();
    });

    it("runs different models in parallel lanes", async () => {
      const { runner, batches } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 1,
      });
      await q.submit(job({ model: "m1" }));
      await q.submit(job({ model: "m2" }));
      await waitFor(() => batches.length === 2, "both models' batches");
      expect(batches.map((b) => b.jobs[0].job.model).sort()).toStrictEqual(["m1", "m2"]);
      for (const b of batches) b.finish();
      await close();
    });

    it("refuses jobs beyond maxQueue with a Retry-After estimate", async () => {
      const { runner, batches } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 1,
        concurrency: 1,
        maxBatchImages: 1,
      });
      await q.submit(job());
      await waitFor(() => batches.length === 1, "the first job running"); // the queue is empty again
      await q.submit(job());
      await assert.rejects(
        q.submit(job()),
        (e: Error) => e instanceof QueueFullError && e.retryAfterSeconds >= 1
      );
      assert.ok((await q.retryAfterSeconds()) >= 1);
      batches[0].finish();
      await waitFor(() => batches.length === 2, "the second job running");
      batches[1].finish();
      await close();
    });

    it("cancels a waiting job without running it, and a running one through its signal", async () => {
      const { runner, batches, cancelled } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 1,
      });
      const [a, b] = [job(), job()];
      await q.submit(a);
      await q.submit(b);
      await waitFor(() => batches.length === 1, "a running");
      const seenB = await follow(q, b.id);
      assert.equal(await q.cancel(b.id), true);
      expect(cancelled).toStrictEqual([b.id]);
      await waitFor(() => seenB.last()?.type === "done", "b's done event");
      expect(seenB.last()).toStrictEqual({ type: "done", status: "cancelled" });
      const seenA = await follow(q, a.id);
      assert.equal(await q.cancel(a.id), true);
      await waitFor(() => batches[0].jobs[0].signal.aborted, "a's signal aborted");
      await waitFor(() => seenA.last()?.type === "done", "a's done event");
      expect(seenA.last()).toStrictEqual({ type: "done", status: "cancelled" });
      await waitFor(async () => (await q.depth()).running === 0, "nothing running");
      assert.equal(await q.cancel(a.id), false);
      assert.equal(await q.cancel("unknown"), false);
      assert.equal(batches.length, 1, "b never ran");
      await close();
    });

    it("replays past events to late subscribers", async () => {
      const { runner, batches } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 1,
      });
      const a = job();
      await q.submit(a);
      await waitFor(() => batches.length === 1, "a running");
      batches[0].finish();
      const live = await follow(q, a.id);
      await waitFor(() => live.last()?.type === "done", "a's done event");
      const late = await follow(q, a.id);
      expect(late.types()).toStrictEqual(["queued", "done"]);
      assert.equal(late.subscription?.ended, true);
      assert.equal(await q.subscribe("unknown", () => undefined), undefined);
      await close();
    });

    it("numbers each job's events from 1, replays only those after a given id, and says when nothing more will come", async () => {
      const { runner, batches } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 1,
      });
      const [a, b] = [job(), job()];
      await q.submit(a);
      await q.submit(b);
      await waitFor(() => batches.length === 1, "a running");
      const run = batches[0].jobs[0];
      assert.equal(run.nextSeq(), 2);
      assert.equal(run.emit({ type: "started", steps: 2, n: 1 }), 2);
      run.emit({ type: "step", step: 1, steps: 2 });
      run.emit({ type: "step", step: 2, steps: 2 }); // replaces step 1 in the replay
      run.emit({
        type: "image",
        id: "x-0",
        index: 0,
        seed: 1,
        url: "/api/images/x-0.png",
        width: 64,
        height: 64,
      });

      const all = await follow(q, a.id);
      await waitFor(() => all.seen.length === 4, "four events");
      expect(all.seen.map((e) => [e.seq, e.event.type])).toStrictEqual([
        [1, "queued"],
        [2, "started"],
        [4, "step"],
        [5, "image"],
      ]);
      const later = await follow(q, a.id, 4);
      await waitFor(() => later.seen.length === 1, "the image event");
      expect(later.seen.map((e) => e.seq)).toStrictEqual([5]);
      assert.equal(later.subscription?.ended, false);
      batches[0].finish();
      await waitFor(() => later.seen.length === 2, "the done event");
      expect(later.seen.map((e) => [e.seq, e.event.type])).toStrictEqual([
        [5, "image"],
        [6, "done"],
      ]);
      const afterEnd = await follow(q, a.id, 6);
      // a client that had the last event gets nothing and is told so
      expect([afterEnd.seen, afterEnd.subscription?.ended]).toStrictEqual([[], true]);
      // Another job has its own sequence.
      expect(
        (await follow(q, b.id)).seen.map((e) => [e.seq, e.event.type]).slice(0, 1)
      ).toStrictEqual([[1, "queued"]]);
      await waitFor(() => batches.length === 2, "b running");
      batches[1].finish();
      await close();
    });

    it("numbers a job resumed after a restart above its seqBase, after the earlier run's events", async () => {
      const { runner, batches } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 1,
      });
      const earlier: SequencedEvent[] = [
        {
          seq: 9,
          event: {
            type: "image",
            id: "r-0",
            index: 0,
            seed: 1,
            url: "/api/images/r-0.png",
            width: 8,
            height: 8,
          },
        },
      ];
      const resumed = job({ seqBase: 1_000_000, firstIndex: 1 });
      await q.submit(resumed, earlier);
      await waitFor(() => batches.length === 1, "the resumed job running");
      batches[0].finish();
      const all = await follow(q, resumed.id);
      await waitFor(() => all.last()?.type === "done", "the done event");
      expect(all.seen.map((e) => [e.seq, e.event.type])).toStrictEqual([
        [9, "image"],
        [1_000_001, "queued"],
        [1_000_002, "done"],
      ]);
      // a client that saw the first image before the restart
      expect((await follow(q, resumed.id, 9)).seen.map((e) => e.seq)).toStrictEqual([
        1_000_001, 1_000_002,
      ]);
      await close();
    });

    it("gives a job cancelled while waiting the id its final event gets", async () => {
      const { runner, batches, cancelledSeqs } = controlledRunner();
      const { queue: q, close } = await factory.create(runner, {
        maxQueue: 10,
        concurrency: 1,
        maxBatchImages: 1,
      });
      const [a, b] = [job(), job()];
      await q.submit(a);
      await q.submit(b);
      await waitFor(() => batches.length === 1, "a running");
      await q.cancel(b.id);
      const seenB = await follow(q, b.id);
      await waitFor(() => seenB.last()?.type === "done", "b's done event");
      expect(seenB.last()).toStrictEqual({ type: "done", status: "cancelled" });
      expect(cancelledSeqs).toStrictEqual([seenB.seen.at(-1)!.seq]);
      batches[0].finish();
      await close();
    });
  });
}
