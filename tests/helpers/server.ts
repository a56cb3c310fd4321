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
  parts: { logger?: Logger } = {},
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
    {},
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
      return fetch(server.url + path, { ...rest, headers, body: json !== undefined ? JSON.stringify(json) : rest.body });
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
export async function readEventsWithIds(response: Response): Promise<Array<ReceivedEvent & { id: string | undefined }>> {
  const events: Array<ReceivedEvent & { id: string | undefined }> = [];
  const stream = response.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    events.push({ id: value.id, type: value.event ?? "message", data: JSON.parse(value.data) });
  }
}
