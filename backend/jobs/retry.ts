// A job put back in the shared queue because the worker running it died (BullMQ's stalled-job
// check): the next worker runs only the images the first one did not store, as a restart does in
// a single process, so no image is made or stored twice; a job that stalls again is failed.
import type { Store } from "../store";
import { finishedStatuses } from "../store";
import { remaining } from "./recovery";
import { doneEvent, type EventBus, type GenerationJob } from "./types";

export const STALLED_TWICE = "the workers running it stopped twice";

/** What to run of a job taken again after its worker died, or "finished" when nothing is left. */
export async function prepareRetry(
  job: GenerationJob,
  store: Store,
  bus: EventBus
): Promise<GenerationJob | "finished"> {
  const g = await store.getGeneration(job.id);
  if (!g || finishedStatuses.includes(g.status)) return "finished"; // only the queue's bookkeeping was lost
  const total = (job.firstIndex ?? 0) + (job.request.n ?? 1);
  const left = remaining({ ...g, job, runs: 0, recoveries: 0 }, total);
  if (!left) return { ...job }; // stored images are not a prefix: run it as it was; the index keeps writes single
  if (left.first >= total) {
    const delivered = g.images.some((i) => !i.blocked);
    const category = g.images.find((i) => i.blocked)?.category ?? undefined;
    const publisher = await bus.publisher(job.id);
    const status = delivered ? "done" : "blocked";
    await store.setStatus(job.id, status, {
      ...(delivered ? {} : { category }),
      eventSeq: publisher.nextSeq(),
    });
    publisher.emit(doneEvent(job, status));
    await publisher.flushed();
    return "finished";
  }
  const shift = left.first - (job.firstIndex ?? 0);
  return {
    ...job,
    request: { ...job.request, n: total - left.first, seed: (job.request.seed + shift) % 2 ** 32 },
    firstIndex: left.first,
  };
}

/** A job that stalled twice: failed in the store, and its stream ends with an error the client can retry. */
export async function failStalled(job: GenerationJob, store: Store, bus: EventBus): Promise<void> {
  const g = await store.getGeneration(job.id);
  if (!g || finishedStatuses.includes(g.status)) return;
  const publisher = await bus.publisher(job.id);
  await store.setStatus(job.id, "failed", {
    error: STALLED_TWICE,
    errorCode: "interrupted",
    eventSeq: publisher.nextSeq(),
  });
  publisher.emit({
    type: "error",
    code: "interrupted",
    message: `generation ${STALLED_TWICE}; try again`,
  });
  await publisher.flushed();
}
