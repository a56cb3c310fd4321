import type { GenerationEvent, GenerationStatus, Notice } from "../api/contract";
import type { GenerateRequest } from "../engine";

/** What a worker needs to run one accepted generation; plain data, so a Redis queue can carry it. */
export interface GenerationJob {
  id: string;
  clientId: string;
  /** Request id of the POST that created the job, so worker log lines join the request's. */
  requestId: string;
  model: string;
  /** The engine request: prompt with the style applied, a concrete seed, the generation settings. */
  request: GenerateRequest & { seed: number };
  /** Size of the delivered images (the engine may generate smaller and upscale). */
  output: { width: number; height: number };
  /** The prompt as the user typed it, for provenance and history. */
  userPrompt: string;
  enqueuedAt: number;
  /** Jobs with equal keys may share one UNet batch (engine's batchKey). */
  batchKey: string;
  /** What the 202 answer told the user about the prompt; the done event repeats it. */
  notices?: Notice[];
}

export class QueueFullError extends Error {
  override name = "QueueFullError";
  constructor(readonly retryAfterSeconds: number) {
    super("the generation queue is full; try again shortly");
  }
}

/** What a queue calls to get work done; the worker module provides the real one. */
export interface JobRunner {
  run(batch: RunningJob[]): Promise<void>;
  /** A job cancelled before it started: record it as cancelled. */
  cancelledWhileWaiting(job: GenerationJob): void;
}

export interface RunningJob {
  job: GenerationJob;
  /** Fires on user cancel (and on shutdown); the runner adds the per-job timeout. */
  signal: AbortSignal;
  emit(event: GenerationEvent): void;
}

export type EventListener = (event: GenerationEvent) => void;

/**
 * Accepts jobs, runs them on workers and reports their events. The in-process and Redis
 * implementations pass the same test suite.
 */
export interface JobQueue {
  /** Queues a job; throws QueueFullError when the queue is at capacity. */
  submit(job: GenerationJob): Promise<{ position: number }>;
  /** Cancels a queued or running job; false when it is unknown or already finished. */
  cancel(id: string): Promise<boolean>;
  /** Past events of the job, then live ones until a terminal event; undefined for unknown jobs. */
  subscribe(id: string, listener: EventListener): (() => void) | undefined;
  /** Jobs waiting and running. */
  depth(): { waiting: number; running: number };
  /** Stops taking jobs, cancels waiting ones, waits for running ones up to graceMs, then cancels them. */
  close(graceMs?: number): Promise<void>;
}

/** The event that ends a job; it repeats the notices of the 202 answer. */
export function doneEvent(job: GenerationJob, status: GenerationStatus): GenerationEvent {
  return { type: "done", status, ...(job.notices?.length ? { notices: job.notices } : {}) };
}

export const isTerminal = (e: GenerationEvent) => e.type === "done" || e.type === "error";
