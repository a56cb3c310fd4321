// `lumen serve` as operators run it: a separate process, in its own process group so that a test
// can kill -9 it (and anything it started) and start it again on the same data directory.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fixturesDir } from "./fixtures";

const bin = join(import.meta.dirname, "..", "..", "bin", "lumen.js");

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Polls /readyz until it answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Sends a signal to the whole process group. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or signal name) once the process has ended; rejects after timeoutMs. */
  exited(timeoutMs?: number): Promise<number | string>;
  /** SIGKILL to the group, then waits for the exit. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  dataDir: string;
  env?: Record<string, string>;
  /** File descriptor for the server's standard output (its log); default: discarded. */
  stdout?: number | "ignore";
  /** The port to listen on (a node restarted on its old address); default: a free one. */
  port?: number;
  /** Run as this user and group (only root can). */
  uid?: number;
  gid?: number;
}

/** The environment of a test server: the tiny sd15 fixture on the CPU, plain HTTP on a free loopback port. */
export function serverEnv(
  dataDir: string,
  extra: Record<string, string> = {}
): Record<string, string> {
  const keep = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("LUMEN_"))
  ) as Record<string, string>;
  return {
    ...keep,
    LUMEN_DATA_DIR: dataDir,
    LUMEN_MODELS_DIR: fixturesDir,
    LUMEN_MODEL: "sd15",
    LUMEN_DEVICE: "cpu",
    LUMEN_THREADS: "1",
    LUMEN_LOG_LEVEL: "info",
    ...extra,
  };
}

/** Starts the server; resolves once it listens (not yet ready), rejects if it exits first. */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const child = spawn(
    process.execPath,
    [bin, "serve", "--http", "--host", "127.0.0.1", "--port", String(options.port ?? 0)],
    {
      env: serverEnv(options.dataDir, options.env),
      stdio: ["ignore", options.stdout ?? "ignore", "pipe"],
      detached: true, // its own process group
      uid: options.uid,
      gid: options.gid,
    }
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exit = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"))
  );

  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = /serving on (http:\/\/[^\s]+)/.exec(stderr);
      if (match) {
        child.stderr!.off("data", onData);
        resolve(match[1]);
      }
    };
    child.stderr!.on("data", onData);
    void exit.then((code) =>
      reject(new Error(`lumen serve exited (${code}) before listening:\n${stderr}`))
    );
  });

  const server: ServerProcess = {
    url,
    child,
    stderr: () => stderr,
    api(path, init = {}) {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (json !== undefined) headers.set("content-type", "application/json");
      // A server that stopped answering fails the test instead of hanging it.
      const signal = rest.signal ?? AbortSignal.timeout(60_000);
      return fetch(url + path, {
        ...rest,
        headers,
        signal,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    async waitReady(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(
          () => undefined
        );
        if (res?.status === 200) return;
        if (Date.now() > deadline)
          throw new Error(
            `not ready after ${timeoutMs} ms: ${res ? await res.text() : "no answer"}\n${stderr}`
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    signal(signal) {
      try {
        process.kill(-child.pid!, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
    },
    exited(timeoutMs = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the server did not exit within ${timeoutMs} ms`)),
          timeoutMs
        );
      });
      return Promise.race([exit, timeout]).finally(() => clearTimeout(timer));
    },
    async kill() {
      server.signal("SIGKILL");
      await server.exited(10_000);
    },
  };
  return server;
}
