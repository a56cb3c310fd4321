// Starts the real server on a free loopback port with a temporary data directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventSourceParserStream } from "eventsource-parser/stream";
import { loadConfig, type Config } from "../../backend/config";
import type { Logger } from "../../backend/observability/logger";
import { startServer, type RunningServer } from "../../backend/server";
import { fixturesDir } from "./fixtures";

export interface TestServer extends RunningServer {
  dataDir: string;
  config: Config;
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  stop(): Promise<void>;
}

export async function startTestServer(
  options: Partial<Record<keyof Config, unknown>> = {},
  parts: { logger?: Logger } = {}
): Promise<TestServer> {
  const overrides = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const dataDir = (overrides.dataDir as string) ?? mkdtempSync(join(tmpdir(), "lumen-server-"));
  const config = loadConfig(
    {
      http: true,
      host: "127.0.0.1",
      port: 0,
      modelsDir: fixturesDir,
      model: "sd15",
      device: "cpu",
      threads: 1,
      logLevel: "silent",
      ...overrides,
      dataDir,
    },
    {}
  );
  const server = await startServer(config, parts);
  await server.ready;
  return {
    ...server,
    dataDir,
    config,
    api(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      return fetch(server.url + path, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    async stop() {
      await server.close(2000);
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ReceivedEvent {
  type: string;
  data: Record<string, any>;
}

/** Reads an SSE response to its end (the server closes it after done/error). */
export async function readEvents(response: Response): Promise<ReceivedEvent[]> {
  return (await readEventsWithIds(response)).map(({ type, data }) => ({ type, data }));
}

/** The same, with each event's `id:` field (what a reconnect sends back as Last-Event-ID). */
export async function readEventsWithIds(
  response: Response
): Promise<Array<ReceivedEvent & { id: string | undefined }>> {
  const events: Array<ReceivedEvent & { id: string | undefined }> = [];
  const stream = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    events.push({ id: value.id, type: value.event ?? "message", data: JSON.parse(value.data) });
  }
}

export interface FollowedStream {
  /** Events received so far, in order. */
  events: Array<ReceivedEvent & { id: string | undefined }>;
  /** Resolves with the first event (already received or still to come) that matches. */
  until(
    match: (event: ReceivedEvent) => boolean
  ): Promise<ReceivedEvent & { id: string | undefined }>;
  /** Resolves when the stream ends: "ended" when the server closed it, "broken" when the connection failed. */
  closed: Promise<"ended" | "broken">;
}

/** Reads an SSE response as it arrives, for tests that act in the middle of a stream. */
export function followEvents(response: Response): FollowedStream {
  const events: FollowedStream["events"] = [];
  const waiting: Array<{
    match: (e: ReceivedEvent) => boolean;
    resolve(e: FollowedStream["events"][number]): void;
    reject(e: Error): void;
  }> = [];
  const stream = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  const closed = (async () => {
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return "ended" as const;
        const event = {
          id: value.id,
          type: value.event ?? "message",
          data: JSON.parse(value.data),
        };
        events.push(event);
        for (const w of waiting.filter((w) => w.match(event))) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve(event);
        }
      }
    } catch {
      return "broken" as const;
    }
  })();
  let ended: string | undefined;
  void closed.then((how) => {
    ended = how;
    for (const w of waiting.splice(0))
      w.reject(
        new Error(
          `the stream ${how} before the event came (${events.length} events: ${events.map((e) => e.type).join(", ")})`
        )
      );
  });
  return {
    events,
    until(match) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      if (ended) return Promise.reject(new Error(`the stream ${ended} before the event came`));
      return new Promise((resolve, reject) => waiting.push({ match, resolve, reject }));
    },
    closed,
  };
}
