// Server-Sent Events over fetch, so the request can carry an Authorization header (EventSource
// cannot). Like EventSource it reconnects after a dropped connection, waiting the server's
// `retry:` interval, sending the id of the last event it received (Last-Event-ID) so that only
// later events come again, and gives up after a few failed attempts in a row.
import { EventSourceParserStream, type EventSourceMessage } from "eventsource-parser/stream";

export interface EventStreamOptions {
  /**
   * Opens the stream; throws for an HTTP error (the caller's client decides what that means).
   * `lastEventId`, on a reconnect after an event with an id, goes in the Last-Event-ID header.
   */
  open(signal: AbortSignal, lastEventId?: string): Promise<Response>;
  /** Receives each event; returns true for the last one (the stream is then closed). */
  onMessage(message: EventSourceMessage): boolean;
  /** Called once when the stream can't be (re)opened; `error` is the last failure, if any. */
  onLost(error?: unknown): void;
  /** Attempts in a row, without an event in between, before giving up. */
  maxAttempts?: number;
  /** Wait before reconnecting until the server says otherwise. */
  retryMs?: number;
}

/** An HTTP refusal (4xx other than 408/429) won't change by asking again. */
function isPermanent(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  return (
    typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429
  );
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Follows the stream until its last event, a permanent failure or stop(); returns stop. */
export function followEventStream(options: EventStreamOptions): () => void {
  const controller = new AbortController();
  const { signal } = controller;
  const maxAttempts = options.maxAttempts ?? 3;
  let retryMs = options.retryMs ?? 2000;
  // As EventSource's "last event ID buffer": an event without an id leaves it as it was.
  let lastEventId: string | undefined;

  const run = async () => {
    let failures = 0;
    let lastError: unknown;
    while (!signal.aborted) {
      try {
        const response = await options.open(signal, lastEventId);
        if (!response.body) throw new Error("The event stream has no body.");
        const reader = response.body
          .pipeThrough(new TextDecoderStream())
          .pipeThrough(new EventSourceParserStream({ onRetry: (ms) => (retryMs = ms) }))
          .getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || signal.aborted) break;
          failures = 0;
          if (value.id !== undefined) lastEventId = value.id;
          if (options.onMessage(value)) {
            controller.abort();
            return;
          }
        }
        lastError = undefined; // the server closed the stream before the last event
      } catch (error) {
        if (signal.aborted) return;
        if (isPermanent(error)) {
          options.onLost(error);
          return;
        }
        lastError = error;
      }
      if (signal.aborted) return;
      if (++failures >= maxAttempts) {
        options.onLost(lastError);
        return;
      }
      await sleep(retryMs, signal);
    }
  };
  void run();
  return () => controller.abort();
}
