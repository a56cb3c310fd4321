import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import { InProcessEventBus } from "../../backend/jobs/in-process-event-bus";
import { InProcessQueue } from "../../backend/jobs/in-process-queue";
import { eventBusContract } from "../contracts/event-bus";
import { controlledRunner, follow, job, queueContract, waitFor } from "../contracts/queue";

queueContract("in-process", {
  async create(runner, options) {
    const queue = new InProcessQueue(runner, options);
    return { queue, close: () => queue.close(0) };
  },
});

eventBusContract("in-process", {
  async create() {
    const bus = new InProcessEventBus();
    return { a: bus, b: bus, close: () => bus.close() };
  },
});

const tick = () => new Promise((r) => setImmediate(r));

describe("in-process queue", () => {
  it("reports positions per model as they change", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const [a, b, c] = [job(), job(), job()];
    for (const j of [a, b, c]) await q.submit(j);
    const seenC = await follow(q, c.id);
    await tick();
    expect(batches.map((x) => x.jobs.map((r) => r.job.id))).toStrictEqual([[a.id]]);
    expect(seenC.seen.map((e) => e.event)).toStrictEqual([{ type: "queued", position: 2 }]);
    batches[0].finish();
    await tick();
    expect(seenC.last()).toStrictEqual({ type: "queued", position: 1 });
    await q.close(0);
  });

  it("on close cancels waiting jobs, lets running ones finish within the grace time", async () => {
    const { runner, batches, cancelled } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    const [a, b] = [job(), job()];
    await q.submit(a);
    await q.submit(b);
    await tick();
    const closed = q.close(10_000);
    expect(cancelled).toStrictEqual([b.id]);
    batches[0].finish();
    await closed;
    assert.equal(batches[0].jobs[0].signal.aborted, false);
    await assert.rejects(q.submit(job()), /shutting down/);
  });

  it("on close aborts running jobs after the grace time", async () => {
    const { runner, batches } = controlledRunner();
    const q = new InProcessQueue(runner, { maxQueue: 10, concurrency: 1, maxBatchImages: 1 });
    await q.submit(job());
    await waitFor(() => batches.length === 1);
    await q.close(20);
    assert.equal(batches[0].jobs[0].signal.aborted, true);
  });
});
