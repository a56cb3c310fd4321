// The default queue: FIFO in this process, a lane of `concurrency` workers per model, and
// micro-batching of compatible waiting jobs (same batchKey) into the job that starts. Events and
// cancellation go through an in-process event bus.
import type { GenerationEvent } from "../../contract";
import { InProcessEventBus } from "./in-process-event-bus";
import {
  doneEvent,
  QueueClosedError,
  QueueFullError,
  type EventListener,
  type GenerationJob,
  type JobQueue,
  type JobRunner,
  type SequencedEvent,
  type Subscription,
} from "./types";

export interface InProcessQueueOptions {
  maxQueue: number;
  concurrency: number;
  maxBatchImages: number;
  /** Called when a batch fails outside the runner's own error handling. */
  onError?: (error: unknown) => void;
}

interface Waiting {
  job: GenerationJob;
  controller: AbortController;
  position: number;
}

export { QueueClosedError } from "./types";

export class InProcessQueue implements JobQueue {
  private readonly waiting: Waiting[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly runningPerModel = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Recent batch durations, for a Retry-After estimate. */
  private recentMs: number[] = [];
  private readonly stopListening: () => void;

  constructor(
    private readonly runner: JobRunner,
    private readonly options: InProcessQueueOptions,
    readonly bus = new InProcessEventBus()
  ) {
    // A cancel of a running job, wherever it was asked for, reaches the job's signal.
    this.stopListening = bus.onCancel((id) => this.running.get(id)?.abort());
  }

  async submit(job: GenerationJob, earlier: SequencedEvent[] = []): Promise<{ position: number }> {
    if (this.closed) throw new QueueClosedError();
    if (this.waiting.length >= this.options.maxQueue)
      throw new QueueFullError(await this.retryAfterSeconds());
    this.bus.openNow(job.id, { seqBase: job.seqBase, earlier });
    const position = this.waiting.filter((w) => w.job.model === job.model).length + 1;
    this.waiting.push({ job, controller: new AbortController(), position });
    this.emit(job.id, { type: "queued", position });
    queueMicrotask(() => this.pump());
    return { position };
  }

  async cancel(id: string): Promise<boolean> {
    const index = this.waiting.findIndex((w) => w.job.id === id);
    if (index >= 0) {
      const [w] = this.waiting.splice(index, 1);
      this.updatePositions();
      await this.cancelWaiting(w);
      return true;
    }
    const controller = this.running.get(id);
    if (!controller || controller.signal.aborted) return false;
    await this.bus.cancel(id);
    return true;
  }

  subscribe(id: string, listener: EventListener, after = 0): Promise<Subscription | undefined> {
    return this.bus.subscribe(id, listener, after);
  }

  async depth(): Promise<{ waiting: number; running: number }> {
    return { waiting: this.waiting.length, running: this.running.size };
  }

  async close(graceMs = 10_000): Promise<void> {
    this.closed = true;
    await Promise.all(this.waiting.splice(0).map((w) => this.cancelWaiting(w)));
    const all = Promise.allSettled([...this.inFlight]);
    let timeout: NodeJS.Timeout | undefined;
    const timer = new Promise((resolve) => (timeout = setTimeout(resolve, graceMs)));
    await Promise.race([all, timer]);
    clearTimeout(timeout);
    for (const controller of this.running.values()) controller.abort();
    await all;
    this.stopListening();
  }

  private emit(id: string, event: GenerationEvent): number {
    return this.bus.emit(id, event);
  }

  /** Records the cancellation (with the id its final event will get), then publishes it. */
  private async cancelWaiting(w: Waiting): Promise<void> {
    try {
      await this.runner.cancelledWhileWaiting(w.job, this.bus.nextSeq(w.job.id));
    } catch (error) {
      this.options.onError?.(error); // the store could not record it; the stream still ends
    }
    this.emit(w.job.id, doneEvent(w.job, "cancelled"));
  }

  async retryAfterSeconds(): Promise<number> {
    const avg = this.recentMs.length
      ? this.recentMs.reduce((a, b) => a + b, 0) / this.recentMs.length
      : 1000;
    const batches = Math.ceil(this.waiting.length / Math.max(1, this.options.concurrency));
    return Math.max(1, Math.min(120, Math.ceil((avg * batches) / 1000)));
  }

  private updatePositions(): void {
    const seen = new Map<string, number>();
    for (const w of this.waiting) {
      const position = (seen.get(w.job.model) ?? 0) + 1;
      seen.set(w.job.model, position);
      if (position !== w.position) {
        w.position = position;
        this.emit(w.job.id, { type: "queued", position });
      }
    }
  }

  /** Starts as many batches as the lanes allow. */
  private pump(): void {
    if (this.closed) return;
    let started = false;
    for (let i = 0; i < this.waiting.length; i++) {
      const head = this.waiting[i];
      const model = head.job.model;
      if ((this.runningPerModel.get(model) ?? 0) >= this.options.concurrency) continue;
      const batch = this.takeBatch(i);
      this.start(batch, model);
      started = true;
      i = -1; // the waiting list changed: scan again from the front
    }
    if (started) this.updatePositions();
  }

  /** The job at `index` plus later compatible ones, up to maxBatchImages images. */
  private takeBatch(index: number): Waiting[] {
    const head = this.waiting[index];
    const batch = [head];
    let images = head.job.request.n ?? 1;
    for (let k = index + 1; k < this.waiting.length; k++) {
      const w = this.waiting[k];
      const n = w.job.request.n ?? 1;
      if (w.job.batchKey !== head.job.batchKey || images + n > this.options.maxBatchImages)
        continue;
      batch.push(w);
      images += n;
    }
    for (const w of batch) this.waiting.splice(this.waiting.indexOf(w), 1);
    return batch;
  }

  private start(batch: Waiting[], model: string): void {
    this.runningPerModel.set(model, (this.runningPerModel.get(model) ?? 0) + 1);
    for (const w of batch) this.running.set(w.job.id, w.controller);
    const started = performance.now();
    const promise = this.runner
      .run(
        batch.map((w) => ({
          job: w.job,
          signal: w.controller.signal,
          emit: (e: GenerationEvent) => this.emit(w.job.id, e),
          nextSeq: () => this.bus.nextSeq(w.job.id),
        }))
      )
      .catch((error) => {
        for (const w of batch) {
          this.emit(w.job.id, {
            type: "error",
            code: "internal_error",
            message: "generation failed",
          });
        }
        this.options.onError?.(error);
      })
      .finally(() => {
        this.recentMs = [...this.recentMs.slice(-9), performance.now() - started];
        for (const w of batch) this.running.delete(w.job.id);
        this.runningPerModel.set(model, (this.runningPerModel.get(model) ?? 1) - 1);
        this.inFlight.delete(promise);
        this.pump();
      });
    this.inFlight.add(promise);
  }
}
