// Restart recovery: generations the store still has queued or running when the server starts were
// in flight when the last process ended (a crash, kill -9, a power cut). Each is either queued
// again for the images it has not stored yet, or, where that cannot help anyone, ended as failed
// with the reason "interrupted by a restart", so its stream, the history and DELETE tell the truth.
import type { Logger } from "../observability/logger";
import type { Store, UnfinishedGeneration } from "../store";
import { storedEvents } from "./replay";
import { QueueFullError, SEQ_PER_RUN, type GenerationJob, type JobQueue } from "./types";

export const INTERRUPTED = "interrupted by a restart";
/** A job whose runs were cut short this often is not tried again: it may be what brings the server down. */
export const MAX_INTERRUPTED_RUNS = 2;

export interface RecoveryContext {
  store: Store;
  queue: JobQueue;
  /** Whether the model is (still) installed. */
  hasModel(name: string): boolean;
  logger: Logger;
}

export interface RecoveryResult {
  requeued: string[];
  /** Every image was stored and only the final status was lost: finished now, nothing re-run. */
  completed: string[];
  failed: Array<{ id: string; why: string }>;
}

/** Why the generation cannot be queued again, or undefined when it can. */
function whyNot(g: UnfinishedGeneration, ctx: RecoveryContext): string | undefined {
  const job = g.job as GenerationJob | null;
  if (!job || typeof job !== "object" || !job.request)
    return "its job was not kept (prompt text is not stored)";
  if (job.origin === "openai")
    return "its OpenAI-style request ended with the process, so nobody would receive the images";
  if (!ctx.hasModel(job.model)) return `model "${job.model}" is no longer installed`;
  if (g.runs >= MAX_INTERRUPTED_RUNS) return `its run was interrupted ${g.runs} times`;
  return undefined;
}

/** The images still to make: indices from `first` to n − 1, when those are exactly the ones missing. */
export function remaining(g: UnfinishedGeneration, n: number): { first: number } | undefined {
  const stored = new Set(g.images.map((i) => i.index));
  let first = 0;
  while (stored.has(first)) first++;
  for (const index of stored) if (index >= first) return undefined; // not a prefix: do not guess
  return first <= n ? { first } : undefined;
}

export async function recoverJobs(ctx: RecoveryContext): Promise<RecoveryResult> {
  const { store, queue, logger } = ctx;
  const result: RecoveryResult = { requeued: [], completed: [], failed: [] };
  const fail = async (g: UnfinishedGeneration, why: string) => {
    // The final event's id lies above every id an earlier run could have sent.
    await store.setStatus(g.id, "failed", {
      error: INTERRUPTED,
      errorCode: "interrupted",
      eventSeq: (g.recoveries + 1) * SEQ_PER_RUN + 1,
    });
    result.failed.push({ id: g.id, why });
    logger.warn({ generation: g.id, why }, `generation ${INTERRUPTED}: ended as failed`);
  };

  for (const g of await store.unfinishedGenerations()) {
    const why = whyNot(g, ctx);
    if (why) {
      await fail(g, why);
      continue;
    }
    const job = g.job as GenerationJob;
    const n = job.request.n ?? 1;
    const left = remaining(g, n);
    if (!left) {
      await fail(g, "its stored images are not the first ones of the request");
      continue;
    }
    if (left.first === n) {
      // Every image was stored; only the final status was lost.
      const delivered = g.images.some((i) => !i.blocked);
      const category = g.images.find((i) => i.blocked)?.category ?? undefined;
      await store.setStatus(g.id, delivered ? "done" : "blocked", {
        ...(delivered ? {} : { category }),
        eventSeq: (g.recoveries + 1) * SEQ_PER_RUN + 1,
      });
      result.completed.push(g.id);
      continue;
    }
    const recoveries = await store.requeue(g.id);
    const resumed: GenerationJob = {
      ...job,
      request: {
        ...job.request,
        n: n - left.first,
        seed: (job.request.seed + left.first) % 2 ** 32,
      },
      firstIndex: left.first,
      seqBase: recoveries * SEQ_PER_RUN,
      enqueuedAt: Date.now(),
    };
    try {
      await queue.submit(resumed, storedEvents(g));
    } catch (e) {
      if (!(e instanceof QueueFullError)) throw e;
      await fail(g, "the queue had no room for it");
      continue;
    }
    result.requeued.push(g.id);
    logger.info(
      { generation: g.id, images: n - left.first, of: n },
      "generation queued again after a restart"
    );
  }
  return result;
}
