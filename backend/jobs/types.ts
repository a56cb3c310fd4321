import type { GenerationEvent, GenerationStatus, Notice } from "../../contract";
import type { GenerateRequest, PictureFormat } from "../engine";

/** What a worker needs to run one accepted generation; plain data, so a Redis queue can carry it. */
export interface GenerationJob {
  id: string;
  clientId: string;
  /** Request id of the POST that created the job, so worker log lines join the request's. */
  requestId: string;
  model: string;
  /**
   * The engine request: prompt with the style applied, a concrete seed, the generation settings
   * (never the picture's pixels) — resolved by the service (the model's defaults filled in once),
   * though a job stored by an older version may leave some to the model's defaults.
   */
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

/** The shared queue (Redis) cannot be reached: nothing was queued; the client may try again shortly. */
export class QueueUnavailableError extends Error {
  override name = "QueueUnavailableError";
  constructor(options?: { cause?: unknown }) {
    super("the job queue cannot be reached right now; try again shortly", options);
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
  cancelledWhileWaiting(job: GenerationJob, eventSeq: number): Promise<void>;
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
 * How the process running a job reports its events: it numbers them itself, synchronously, so a
 * row stored just before an event can keep the event's id; `flushed` resolves once every emitted
 * event has reached the bus.
 */
export interface Publisher {
  emit(event: GenerationEvent): number;
  nextSeq(): number;
  flushed(): Promise<void>;
}

/**
 * Each job's event stream (publish, subscribe, replay) and its cancellation, across every node
 * that serves or runs jobs. The in-process and Redis implementations pass one contract suite.
 */
export interface EventBus {
  /** Starts a job's stream; a run after a restart numbers from `seqBase` and replays `earlier` first. */
  open(id: string, options?: { seqBase?: number; earlier?: SequencedEvent[] }): Promise<void>;
  /** Appends an event with the stream's next id and returns the id (0 when the stream is unknown or has ended). */
  publish(id: string, event: GenerationEvent): Promise<number>;
  /** For the one process running the job (see Publisher). */
  publisher(id: string): Promise<Publisher>;
  /** The events with ids above `after`, oldest first; only the latest step event is kept. Undefined for an unknown stream. */
  replay(id: string, after?: number): Promise<SequencedEvent[] | undefined>;
  /**
   * The replay, then live events until a terminal one, each exactly once and in order; undefined
   * for a stream it does not know (never opened, or finished long ago: the store answers then).
   */
  subscribe(id: string, listener: EventListener, after?: number): Promise<Subscription | undefined>;
  /** Asks whoever runs the job to stop: every onCancel listener, on every node, hears it. */
  cancel(id: string): Promise<void>;
  onCancel(listener: (id: string) => void): () => void;
  close(): Promise<void>;
}

/**
 * What the API asks of the queue: accept jobs, cancel them, follow their events. Jobs are claimed
 * and run by workers (in this process, or on other machines with the Redis queue). The in-process
 * and Redis implementations pass one contract suite.
 */
export interface JobQueue {
  /**
   * Queues a job; throws QueueFullError when the queue is at capacity. `earlier`: events an earlier
   * run already published (images stored before a restart), replayed before this run's own.
   */
  submit(job: GenerationJob, earlier?: SequencedEvent[]): Promise<{ position: number }>;
  /** Cancels a queued or running job, wherever it runs; false when it is unknown or already finished. */
  cancel(id: string): Promise<boolean>;
  /**
   * The job's past events with ids above `after` (default 0: all), then live ones until a terminal
   * event; undefined for jobs it does not know (never queued, or finished long ago).
   */
  subscribe(id: string, listener: EventListener, after?: number): Promise<Subscription | undefined>;
  /** Jobs waiting and running, across every worker sharing the queue. */
  depth(): Promise<{ waiting: number; running: number }>;
  /** Seconds a refused client should wait, from the recent pace of the queue. */
  retryAfterSeconds(): Promise<number>;
  /** Stops taking jobs, cancels waiting ones, waits for running ones up to graceMs, then cancels them. */
  close(graceMs?: number): Promise<void>;
}

/** The event that ends a job; it repeats the notices of the 202 answer. */
export function doneEvent(job: GenerationJob, status: GenerationStatus): GenerationEvent {
  return { type: "done", status, ...(job.notices?.length ? { notices: job.notices } : {}) };
}

export const isTerminal = (e: GenerationEvent) => e.type === "done" || e.type === "error";
