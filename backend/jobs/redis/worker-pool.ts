// A worker node's side of the Redis queue: for each model it serves, `concurrency` lanes take jobs
// from that model's BullMQ queue and run them on the JobRunner (the same one the in-process queue
// uses). A lane that takes a job also claims waiting jobs with the same batch key among the next
// few (the others go back to the front of the queue, in order), so micro-batching works across
// machines. Locks are renewed while a job runs; a worker that dies stops renewing them, and
// BullMQ's stalled-job check on the other workers puts the job back once (then fails it).
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Queue, QueueEvents, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { GenerationEvent } from "../../../contract";
import type { GenerationJob, JobRunner, RunningJob } from "../types";
import { workerConnection } from "./connection";
import type { RedisEventBus } from "./event-bus";
import { redisKeys, type RedisKeys } from "./keys";
import type { WorkerAnnouncement } from "./queue";

export interface RedisWorkerPoolOptions {
  url: string;
  prefix?: string;
  models: string[];
  /** Lanes per model: batches of one model that may run at once on this worker. */
  concurrency: number;
  maxBatchImages: number;
  runner: JobRunner;
  bus: RedisEventBus;
  /** Shown in announcements: "cpu", "cuda:0". */
  device: string;
  /** How long a claimed job stays locked without a renewal: a dead worker's jobs are retried after about this long. */
  lockMs?: number;
  /** How often each worker looks for stalled jobs. */
  stalledIntervalMs?: number;
  /** Waiting jobs a lane looks through for ones with its batch key. */
  lookahead?: number;
  /**
   * A job that stalled once (its worker died) and was put back: what to run now (the images not
   * yet stored), or "finished" when nothing is left to do. Default: run it as it is.
   */
  prepareRetry?(job: GenerationJob): Promise<GenerationJob | "finished">;
  /** A job that stalled twice: BullMQ failed it; record the failure and end its stream. */
  onStalledOut?(job: GenerationJob): Promise<void>;
  onError?(error: unknown): void;
}

interface Claimed {
  job: Job<GenerationJob>;
  /** The lane's lock token. */
  token: string;
  data: GenerationJob;
  controller: AbortController;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RedisWorkerPool {
  readonly id = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly keys: RedisKeys;
  private readonly lockMs: number;
  private readonly workers: Worker[] = [];
  private readonly events: QueueEvents[] = [];
  /** Per model, for reading the data of a job that failed. */
  private readonly queues = new Map<string, Queue<GenerationJob>>();
  private readonly lanes: Promise<void>[] = [];
  private readonly running = new Map<string, Claimed>();
  private readonly redis: Redis;
  /** Every connection this pool opened: BullMQ leaves connections it was given open. */
  private readonly connections: Redis[] = [];
  private readonly stopCancel: () => void;
  private closing = false;
  private timers: NodeJS.Timeout[] = [];
  private busy = 0;
  private busyMs = 0;
  private lastAnnounce = performance.now();
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: RedisWorkerPoolOptions) {
    this.keys = redisKeys(options.prefix ?? "lumen");
    this.lockMs = options.lockMs ?? 30_000;
    this.redis = workerConnection(options.url, "lumen-worker");
    this.stopCancel = options.bus.onCancel((id) => this.running.get(id)?.controller.abort());
  }

  start(): this {
    const { models, concurrency } = this.options;
    for (const model of models) {
      const name = this.keys.queueName(model);
      for (let lane = 0; lane < concurrency; lane++) {
        const worker = new Worker<GenerationJob>(name, null, {
          connection: this.connect(`lumen-worker-${model}`),
          prefix: this.keys.bullPrefix,
          autorun: false,
          lockDuration: this.lockMs,
          // Retried once on another worker; a second stall fails it (it may be what kills workers).
          maxStalledCount: 1,
          stalledInterval: this.options.stalledIntervalMs ?? this.lockMs,
          // A blocked lane wakes up at least this often to see whether it should stop.
          drainDelay: 1,
        });
        worker.on("error", (e) => this.options.onError?.(e));
        if (lane === 0) void worker.startStalledCheckTimer();
        this.workers.push(worker);
        this.lanes.push(this.lane(worker, `${this.id}:${model}:${lane}`));
      }
      const events = new QueueEvents(name, {
        connection: this.connect(`lumen-worker-events-${model}`),
        prefix: this.keys.bullPrefix,
      });
      events.on("error", () => undefined);
      const queue = new Queue<GenerationJob>(name, {
        connection: this.redis,
        prefix: this.keys.bullPrefix,
      });
      queue.on("error", () => undefined);
      this.queues.set(model, queue);
      events.on(
        "failed",
        ({ jobId, failedReason }) => void this.stalledOut(model, jobId, failedReason)
      );
      this.events.push(events);
    }
    // Locks of running jobs are renewed at a third of their duration, so one missed renewal is not fatal.
    this.timers.push(setInterval(() => void this.renewLocks(), this.lockMs / 3));
    this.timers.push(setInterval(() => void this.announce(), 5000));
    void this.announce();
    return this;
  }

  private connect(name: string): Redis {
    const connection = workerConnection(this.options.url, name);
    this.connections.push(connection);
    return connection;
  }

  /** Jobs this worker is running now. */
  runningJobs(): string[] {
    return [...this.running.keys()];
  }

  private async lane(worker: Worker<GenerationJob>, token: string): Promise<void> {
    while (!this.closing) {
      let batch: Claimed[];
      try {
        batch = await this.claim(worker, token);
      } catch (e) {
        if (this.closing) break;
        this.options.onError?.(e);
        await sleep(1000); // Redis unreachable: try again shortly
        continue;
      }
      if (batch.length) await this.run(batch, token);
    }
  }

  /** The next job, and waiting jobs with its batch key up to maxBatchImages images. */
  private async claim(worker: Worker<GenerationJob>, token: string): Promise<Claimed[]> {
    const head = await worker.getNextJob(token, { block: true });
    if (!head) return [];
    const batch: Array<Job<GenerationJob>> = [head];
    let images = head.data.request.n ?? 1;
    const putBack: Array<Job<GenerationJob>> = [];
    const lookahead = this.options.lookahead ?? 16;
    try {
      for (
        let seen = 0;
        seen < lookahead && images < this.options.maxBatchImages && !this.closing;
        seen++
      ) {
        const next = await worker.getNextJob(token, { block: false });
        if (!next) break;
        const n = next.data.request.n ?? 1;
        if (
          next.data.batchKey === head.data.batchKey &&
          images + n <= this.options.maxBatchImages
        ) {
          batch.push(next);
          images += n;
        } else putBack.push(next);
      }
    } finally {
      // Back to the front of the queue in their order: the last one first.
      for (const job of putBack.reverse())
        await job.moveToWait(token).catch((e) => this.options.onError?.(e));
    }
    const claimed: Claimed[] = [];
    for (const job of batch) {
      const c = { job, token, data: job.data, controller: new AbortController() };
      this.running.set(job.id!, c);
      // A cancel asked just before this worker took the job went by before it listened.
      if (await this.options.bus.cancelRequested(job.id!).catch(() => false)) c.controller.abort();
      claimed.push(c);
    }
    return claimed;
  }

  private async run(batch: Claimed[], token: string): Promise<void> {
    const started = performance.now();
    this.busy++;
    try {
      const runnable: Array<
        Claimed & { publisher: Awaited<ReturnType<RedisEventBus["publisher"]>> }
      > = [];
      for (const c of batch) {
        if (c.job.stalledCounter > 0 && this.options.prepareRetry) {
          const prepared = await this.options.prepareRetry(c.data);
          if (prepared === "finished") {
            await this.complete(c, token);
            continue;
          }
          c.data = prepared;
        }
        runnable.push({ ...c, publisher: await this.options.bus.publisher(c.job.id!) });
      }
      if (runnable.length) {
        await this.options.runner
          .run(
            runnable.map((c): RunningJob => ({
              job: c.data,
              signal: c.controller.signal,
              emit: (e: GenerationEvent) => c.publisher.emit(e),
              nextSeq: () => c.publisher.nextSeq(),
            }))
          )
          .catch((error) => {
            for (const c of runnable)
              c.publisher.emit({
                type: "error",
                code: "internal_error",
                message: "generation failed",
              });
            this.options.onError?.(error);
          });
        for (const c of runnable) await c.publisher.flushed();
      }
      for (const c of runnable) await this.complete(c, token);
    } catch (e) {
      // Redis went away mid-batch: the jobs stay active and locked until their locks expire, then
      // another worker (or this one) takes them again.
      this.options.onError?.(e);
    } finally {
      for (const c of batch) this.running.delete(c.job.id!);
      this.busy--;
      const ms = performance.now() - started;
      this.busyMs += ms;
      await this.redis
        .multi()
        .lpush(this.keys.durations, Math.round(ms))
        .ltrim(this.keys.durations, 0, 19)
        .exec()
        .catch(() => undefined);
    }
  }

  private async complete(c: Claimed, token: string): Promise<void> {
    try {
      await c.job.moveToCompleted("done", token, false);
    } catch (e) {
      // The lock was lost (this worker was taken for dead): the job's outcome is in the store and
      // its stream; the retry, if any, finds its images stored and only finishes it.
      this.options.onError?.(e);
    }
  }

  private async renewLocks(): Promise<void> {
    for (const { job, token } of this.running.values()) {
      await job.extendLock(token, this.lockMs).catch((e) => this.options.onError?.(e));
    }
  }

  private async stalledOut(model: string, jobId: string, failedReason: string): Promise<void> {
    if (!/stalled/i.test(failedReason) || !this.options.onStalledOut) return;
    const job = await this.queues
      .get(model)
      ?.getJob(jobId)
      .catch(() => undefined);
    if (job?.data)
      await this.options.onStalledOut(job.data).catch((e) => this.options.onError?.(e));
  }

  private announcement(): WorkerAnnouncement {
    const now = performance.now();
    const lanes = this.options.models.length * this.options.concurrency;
    const windowMs = Math.max(1, now - this.lastAnnounce);
    // Lanes busy right now count as busy since the last announcement too.
    const utilisation = Math.min(1, (this.busyMs + this.busy * windowMs) / (windowMs * lanes));
    this.busyMs = 0;
    this.lastAnnounce = now;
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      device: this.options.device,
      models: this.options.models,
      lanes,
      busy: this.busy,
      utilisation: Math.round(utilisation * 1000) / 1000,
      startedAt: this.startedAt,
    };
  }

  private async announce(): Promise<void> {
    await this.redis
      .set(this.keys.worker(this.id), JSON.stringify(this.announcement()), "EX", 15)
      .catch(() => undefined);
  }

  /**
   * Stops taking jobs and lets the running batches finish within graceMs; then aborts them (they
   * end as cancelled, as in a single process). Jobs not yet started stay in Redis for other workers.
   */
  async close(graceMs = 10_000): Promise<void> {
    this.closing = true;
    const lanesDone = Promise.allSettled(this.lanes);
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([lanesDone, new Promise((r) => (timeout = setTimeout(r, graceMs)))]);
    clearTimeout(timeout);
    for (const c of this.running.values()) c.controller.abort();
    await lanesDone;
    for (const t of this.timers) clearInterval(t);
    this.stopCancel();
    await this.redis.del(this.keys.worker(this.id)).catch(() => undefined);
    await Promise.allSettled([
      ...this.workers.map((w) => w.close(true)),
      ...this.events.map((e) => e.close()),
      ...[...this.queues.values()].map((q) => q.close()),
    ]);
    for (const connection of [this.redis, ...this.connections]) {
      await connection.quit().catch(() => undefined);
      connection.disconnect();
    }
  }
}
