// The job queue on Redis with BullMQ, as API nodes see it: jobs go into one BullMQ queue per model
// (workers take jobs only for the models they serve), events and cancellation go through the
// Redis event bus, and the bounds (maxQueue, Retry-After) are computed from the shared queue, so
// any number of API nodes hold no job state of their own.
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import {
  doneEvent,
  QueueClosedError,
  QueueFullError,
  QueueUnavailableError,
  type EventListener,
  type GenerationJob,
  type JobQueue,
  type SequencedEvent,
  type Subscription,
} from "../types";
import { apiConnection, isConnectionError } from "./connection";
import type { RedisEventBus } from "./event-bus";
import { redisKeys, type RedisKeys } from "./keys";

export interface RedisJobQueueOptions {
  url: string;
  prefix?: string;
  maxQueue: number;
  bus: RedisEventBus;
  /** A job cancelled before any worker took it: record it as cancelled; `eventSeq` is the id of its final event. */
  cancelledWhileWaiting(job: GenerationJob, eventSeq: number): Promise<void>;
}

/** States in which a job waits for a worker. */
const WAITING_STATES = new Set(["waiting", "wait", "prioritized", "delayed"]);

export class RedisJobQueue implements JobQueue {
  private readonly keys: RedisKeys;
  private readonly redis: Redis;
  private readonly queues = new Map<string, Queue>();
  private closed = false;

  constructor(private readonly options: RedisJobQueueOptions) {
    this.keys = redisKeys(options.prefix ?? "lumen");
    this.redis = apiConnection(options.url, "lumen-api");
  }

  private queueFor(model: string): Queue {
    let queue = this.queues.get(model);
    if (!queue) {
      queue = new Queue(this.keys.queueName(model), {
        connection: this.redis,
        prefix: this.keys.bullPrefix,
      });
      queue.on("error", () => undefined); // reported on each call
      this.queues.set(model, queue);
    }
    return queue;
  }

  /** Redis failures become QueueUnavailableError (503 queue_unavailable); anything else is a bug and passes. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (e) {
      if (isConnectionError(e)) throw new QueueUnavailableError({ cause: e });
      throw e;
    }
  }

  private async models(): Promise<string[]> {
    return this.redis.smembers(this.keys.models);
  }

  async submit(job: GenerationJob, earlier: SequencedEvent[] = []): Promise<{ position: number }> {
    if (this.closed) throw new QueueClosedError();
    return this.guard(async () => {
      if ((await this.depth()).waiting >= this.options.maxQueue)
        throw new QueueFullError(await this.retryAfterSeconds());
      const queue = this.queueFor(job.model);
      const position = (await queue.getWaitingCount()) + 1;
      // The stream opens, and says "queued", before a worker can take the job and number its own events.
      await this.options.bus.open(job.id, { seqBase: job.seqBase, earlier });
      await this.options.bus.publish(job.id, { type: "queued", position });
      await this.redis.sadd(this.keys.models, job.model);
      await queue.add("generation", job, {
        jobId: job.id,
        removeOnComplete: true,
        // Failed jobs (a worker died twice under them) stay a day for the operator to see.
        removeOnFail: { age: 86_400 },
      });
      return { position };
    });
  }

  async cancel(id: string): Promise<boolean> {
    return this.guard(async () => {
      for (const model of await this.models()) {
        const job = await this.queueFor(model).getJob(id);
        if (!job) continue;
        const state = await job.getState();
        if (WAITING_STATES.has(state)) {
          try {
            await job.remove();
          } catch {
            // A worker took it in the meantime: stop it there.
            return this.cancelRunning(id);
          }
          const data = job.data as GenerationJob;
          const publisher = await this.options.bus.publisher(id);
          await this.options.cancelledWhileWaiting(data, publisher.nextSeq());
          publisher.emit(doneEvent(data, "cancelled"));
          await publisher.flushed();
          return true;
        }
        if (state === "active") return this.cancelRunning(id);
        return false; // completed or failed
      }
      return false;
    });
  }

  private async cancelRunning(id: string): Promise<boolean> {
    if (await this.options.bus.cancelRequested(id)) return false; // asked already
    await this.options.bus.cancel(id);
    return true;
  }

  subscribe(id: string, listener: EventListener, after = 0): Promise<Subscription | undefined> {
    return this.guard(() => this.options.bus.subscribe(id, listener, after));
  }

  async depth(): Promise<{ waiting: number; running: number }> {
    return this.guard(async () => {
      let waiting = 0;
      let running = 0;
      for (const model of await this.models()) {
        const counts = await this.queueFor(model).getJobCounts(
          "wait",
          "prioritized",
          "delayed",
          "active"
        );
        waiting += (counts.wait ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
        running += counts.active ?? 0;
      }
      return { waiting, running };
    });
  }

  /** Recent batch time × the batches waiting per worker lane, from what the workers report. */
  async retryAfterSeconds(): Promise<number> {
    return this.guard(async () => {
      const recent = (await this.redis.lrange(this.keys.durations, 0, 9))
        .map(Number)
        .filter(Number.isFinite);
      const avg = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 1000;
      const lanes = Math.max(1, await countWorkerLanes(this.redis, this.keys));
      const { waiting } = await this.depth();
      const batches = Math.ceil(waiting / lanes);
      return Math.max(1, Math.min(120, Math.ceil((avg * Math.max(1, batches)) / 1000)));
    });
  }

  /** The workers that share this queue, as they last announced themselves. */
  workers(): Promise<WorkerAnnouncement[]> {
    return this.guard(() => liveWorkers(this.redis, this.keys));
  }

  /** API nodes hold no jobs: closing only stops taking new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await this.redis.quit().catch(() => undefined);
    this.redis.disconnect();
  }
}

/** What a worker announces about itself while it runs. */
export interface WorkerAnnouncement {
  id: string;
  host: string;
  pid: number;
  device: string;
  models: string[];
  lanes: number;
  /** Lanes running a batch now. */
  busy: number;
  /** Share of lane time spent running batches over the last announcement interval, 0–1. */
  utilisation: number;
  startedAt: string;
}

/** The live workers' announcements (each expires unless its worker renews it). */
export async function liveWorkers(redis: Redis, keys: RedisKeys): Promise<WorkerAnnouncement[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", keys.workerPattern, "COUNT", 100);
    cursor = next;
    found.push(...batch);
  } while (cursor !== "0");
  if (found.length === 0) return [];
  return (await redis.mget(...found)).flatMap((v) =>
    v ? [JSON.parse(v) as WorkerAnnouncement] : []
  );
}

async function countWorkerLanes(redis: Redis, keys: RedisKeys): Promise<number> {
  return (await liveWorkers(redis, keys)).reduce((sum, w) => sum + w.lanes, 0);
}
