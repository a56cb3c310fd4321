// Per-job event history with live listeners: a client that connects late (or reconnects)
// still sees every event. Finished jobs are forgotten after a while; the store has the result.
import type { GenerationEvent } from "../api/contract";
import { isTerminal, type EventListener } from "./types";

interface Entry {
  events: GenerationEvent[];
  listeners: Set<EventListener>;
}

export class EventLog {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly keepFinishedMs = 10 * 60_000) {}

  open(id: string): void {
    this.entries.set(id, { events: [], listeners: new Set() });
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  finished(id: string): boolean {
    const entry = this.entries.get(id);
    return !entry || entry.events.some(isTerminal);
  }

  emit(id: string, event: GenerationEvent): void {
    const entry = this.entries.get(id);
    if (!entry || entry.events.some(isTerminal)) return;
    // Step events carry previews; only the latest is worth replaying.
    const last = entry.events[entry.events.length - 1];
    if (event.type === "step" && last?.type === "step") entry.events[entry.events.length - 1] = event;
    else entry.events.push(event);
    for (const listener of entry.listeners) listener(event);
    if (isTerminal(event)) {
      entry.listeners.clear();
      setTimeout(() => this.entries.delete(id), this.keepFinishedMs).unref();
    }
  }

  subscribe(id: string, listener: EventListener): (() => void) | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    for (const event of entry.events) listener(event);
    if (entry.events.some(isTerminal)) return () => undefined;
    entry.listeners.add(listener);
    return () => entry.listeners.delete(listener);
  }
}
