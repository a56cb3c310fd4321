import type { GenerationEvent, GenerationStatus, Notice } from "../api/contract";
import type { GenerateRequest, PictureFormat } from "../engine";

/** What a worker needs to run one accepted generation; plain data, so a Redis queue can carry it. */
export interface GenerationJob {
  id: string;
  clientId: string;
  /** Request id of the POST that created the job, so worker log lines join the request's. */
  requestId: string;
  model: string;
  /** The engine request: prompt with the style applied, a concrete seed, the generation settings (never the picture's pixels). */
  request: Omit<GenerateRequest, "image"> & { seed: number };
  /**
   * The picture to start from, as the client sent it (base64), so the job stays plain data, the
   * worker decodes it, and the images' Content Credentials name it as their ingredient.
   */
  source?: { data: string; format: PictureFormat };
  /** Size of the delivered images (the engine may generate smaller and upscale). */
  output: { width: number; height: number };
  /** The prompt as the user typed it, for provenance and history. */
  userPrompt: string;
  enqueuedAt: number;
  /** Jobs with equal keys may share one UNet batch (engine's batchKey). */
  batchKey: string;
  /** What the 202 answer told the user about the prompt; the done event repeats it. */
  notices?: Notice[];
  /**
   * Who waits for the result: "api" (POST /api/generations; the client follows the events and can
   * come back later) or "openai" (the request itself waits; nobody is left to receive the images
   * once it is gone). Default "api".
   */
  origin?: "api" | "openai";
  /**
   * Index of the first image this run makes. A job queued again after a restart makes only the
   * images the earlier run did not store; `request` then asks for those (n and seed shifted).
   */
  firstIndex?: number;
  /** Event ids of this run count up from here; each run after a restart starts above the last one's. */
  seqBase?: number;
}

/** An event with its id in the job's event stream (SSE `id:`, what Last-Event-ID names). */
export interface SequencedEvent {
  seq: number;
  event: GenerationEvent;
}

/** Event ids a run may use: a run numbers its events from recoveries × SEQ_PER_RUN + 1. */
export const SEQ_PER_RUN = 1_000_000;

export class QueueFullError extends Error {
  override name = "QueueFullError";
  constructor(readonly retryAfterSeconds: number) {
    super("the generation queue is full; try again shortly");
  }
}

/** The queue is closing (the server is shutting down) and takes no more jobs. */
export class QueueClosedError extends Error {
  override name = "QueueClosedError";
  constructor() {
    super("the server is shutting down");
  }
}

/** What a queue calls to get work done; the worker module provides the real one. */
export interface JobRunner {
  run(batch: RunningJob[]): Promise<void>;
  /** A job cancelled before it started: record it as cancelled; `eventSeq` is the id of its final event. */
  cancelledWhileWaiting(job: GenerationJob, eventSeq: number): void;
}

export interface RunningJob {
  job: GenerationJob;
  /** Fires on user cancel (and on shutdown); the runner adds the per-job timeout. */
  signal: AbortSignal;
  /** Publishes an event; returns its id. */
  emit(event: GenerationEvent): number;
  /**
   * The id the next emitted event will get, so a row stored just before emitting can keep it
   * (replays from the store then carry the ids the live stream sent).
   */
  nextSeq(): number;
}

export type EventListener = (event: GenerationEvent, seq: number) => void;

export interface Subscription {
  /** Stops the live events. */
  close(): void;
  /** The stream has nothing more to send: its last event was delivered, or came at or before `after`. */
  readonly ended: boolean;
}

/**
 * Accepts jobs, runs them on workers and reports their events. The in-process and Redis
 * implementations pass the same test suite.
 */
export interface JobQueue {
  /**
   * Queues a job; throws QueueFullError when the queue is at capacity. `earlier`: events an earlier
   * run already published (images stored before a restart), replayed before this run's own.
   */
  submit(job: GenerationJob, earlier?: SequencedEvent[]): Promise<{ position: number }>;
  /** Cancels a queued or running job; false when it is unknown or already finished. */
  cancel(id: string): Promise<boolean>;
  /**
   * The job's past events with ids above `after` (default 0: all), then live ones until a terminal
   * event; undefined for jobs it does not know (never queued here, or finished long ago).
   */
  subscribe(id: string, listener: EventListener, after?: number): Subscription | undefined;
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
