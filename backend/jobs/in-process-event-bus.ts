// The default event bus, in this process: per-job event history with live listeners, so a client
// that connects late (or reconnects) still sees every event, or with Last-Event-ID only those
// after the one it had. Each event gets the next number of its job's sequence; finished jobs are
// forgotten after a while, and the store (which keeps the ids of image and final events) answers
// for them. Cancellation reaches the queue of this process through onCancel.
import type { GenerationEvent } from "../../contract";
import {
  isTerminal,
  type EventBus,
  type EventListener,
  type Publisher,
  type SequencedEvent,
  type Subscription,
} from "./types";

interface Entry {
  events: SequencedEvent[];
  listeners: Set<EventListener>;
  seq: number;
  ended: boolean;
}

export class InProcessEventBus implements EventBus {
  private readonly entries = new Map<string, Entry>();
  private readonly cancelListeners = new Set<(id: string) => void>();

  constructor(private readonly keepFinishedMs = 10 * 60_000) {}

  async open(
    id: string,
    options: { seqBase?: number; earlier?: SequencedEvent[] } = {}
  ): Promise<void> {
    this.openNow(id, options);
  }

  /** open(), at once: the in-process queue numbers its first event in the same turn. */
  openNow(id: string, options: { seqBase?: number; earlier?: SequencedEvent[] } = {}): void {
    const earlier = [...(options.earlier ?? [])].sort((a, b) => a.seq - b.seq);
    const seq = Math.max(options.seqBase ?? 0, earlier.at(-1)?.seq ?? 0);
    this.entries.set(id, { events: earlier, listeners: new Set(), seq, ended: false });
  }

  async publish(id: string, event: GenerationEvent): Promise<number> {
    return this.emit(id, event);
  }

  async publisher(id: string): Promise<Publisher> {
    return this.publisherNow(id);
  }

  publisherNow(id: string): Publisher {
    return {
      emit: (event) => this.emit(id, event),
      nextSeq: () => this.nextSeq(id),
      flushed: async () => undefined,
    };
  }

  async replay(id: string, after = 0): Promise<SequencedEvent[] | undefined> {
    return this.entries.get(id)?.events.filter((e) => e.seq > after);
  }

  async subscribe(
    id: string,
    listener: EventListener,
    after = 0
  ): Promise<Subscription | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    for (const { seq, event } of entry.events) if (seq > after) listener(event, seq);
    if (entry.ended) return { close: () => undefined, ended: true };
    entry.listeners.add(listener);
    return { close: () => void entry.listeners.delete(listener), ended: false };
  }

  async cancel(id: string): Promise<void> {
    for (const listener of this.cancelListeners) listener(id);
  }

  onCancel(listener: (id: string) => void): () => void {
    this.cancelListeners.add(listener);
    return () => void this.cancelListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.cancelListeners.clear();
  }

  /** The id the job's next event will get (0 for an unknown job). */
  nextSeq(id: string): number {
    const entry = this.entries.get(id);
    return entry ? entry.seq + 1 : 0;
  }

  /** Records and publishes an event; returns its id (0 when the job is unknown or finished). */
  emit(id: string, event: GenerationEvent): number {
    const entry = this.entries.get(id);
    if (!entry || entry.ended) return 0;
    const seq = ++entry.seq;
    // Step events carry previews; only the latest is worth replaying.
    const last = entry.events[entry.events.length - 1];
    if (event.type === "step" && last?.event.type === "step")
      entry.events[entry.events.length - 1] = { seq, event };
    else entry.events.push({ seq, event });
    for (const listener of entry.listeners) listener(event, seq);
    if (isTerminal(event)) {
      entry.ended = true;
      entry.listeners.clear();
      setTimeout(() => this.entries.delete(id), this.keepFinishedMs).unref();
    }
    return seq;
  }
}
