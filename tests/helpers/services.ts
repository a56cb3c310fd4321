// Real Redis and PostgreSQL servers for tests: each started on a free loopback port in its own
// temporary directory, in its own process group, and stopped (with its files) by the test.
// Never the machine's own services. PostgreSQL refuses to run as root: as root it runs as the
// postgres user (Debian's package creates it).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export const REDIS_SERVER = "/usr/bin/redis-server";
export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const haveRedis = existsSync(REDIS_SERVER);
export const havePostgres = existsSync(join(PG_BIN, "postgres"));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(
  port: number,
  child: ChildProcess,
  what: string,
  timeoutMs = 30_000
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${what} exited with code ${child.exitCode} before it listened`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid!, signal);
  } catch {
    return Promise.resolve();
  }
  return exited;
}

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGKILL with `hard`); start() brings it back on the same port. */
  stop(hard?: boolean): Promise<void>;
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  close(): Promise<void>;
}

/**
 * redis-server on a free port with noeviction, which BullMQ needs. No persistence, unless
 * `persistent`: then every write goes to the append-only file first, so a restart keeps the queue.
 */
export async function startRedis(options: { persistent?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "lumen-redis-"));
  const port = await freePort();
  let child: ChildProcess;
  const start = async () => {
    child = spawn(
      REDIS_SERVER,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        ...(options.persistent
          ? ["--appendonly", "yes", "--appendfsync", "always"]
          : ["--appendonly", "no"]),
        "--maxmemory-policy",
        "noeviction",
        "--dir",
        dir,
        "--logfile",
        "",
      ],
      { detached: true, stdio: "ignore" }
    );
    await waitForPort(port, child, "redis-server");
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: (hard = false) => stopGroup(child, hard ? "SIGKILL" : "SIGTERM"),
    start,
    async close() {
      await stopGroup(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PostgresServer {
  port: number;
  /** A new, empty database on the server: its URL. */
  createDatabase(): Promise<string>;
  close(): Promise<void>;
}

/** A PostgreSQL cluster in a temporary directory (initdb), on a free port, trusting local connections. */
export async function startPostgres(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), "lumen-pg-"));
  const data = join(dir, "data");
  const asRoot = userInfo().uid === 0;
  const as = (command: string, args: string[]) =>
    (asRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args]) as [
      string,
      string[],
    ];
  if (asRoot)
    chownSync(
      dir,
      Number(spawnSync("id", ["-u", "postgres"]).stdout.toString().trim()),
      Number(spawnSync("id", ["-g", "postgres"]).stdout.toString().trim())
    );
  const init = spawnSync(
    ...as(join(PG_BIN, "initdb"), [
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
      "-E",
      "UTF8",
      "--locale",
      "C",
    ]),
    { encoding: "utf8" }
  );
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const child = spawn(
    ...as(join(PG_BIN, "postgres"), [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200",
    ]),
    { detached: true, stdio: "ignore" }
  );
  await waitForPort(port, child, "postgres");
  const { default: pg } = await import("pg");
  let n = 0;
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    port,
    async createDatabase() {
      const name = `lumen_test_${++n}`;
      // The server may still be starting up for a moment after it listens.
      for (let attempt = 0; ; attempt++) {
        const client = new pg.Client(admin);
        try {
          await client.connect();
          await client.query(`CREATE DATABASE ${name}`);
          break;
        } catch (e) {
          if (attempt > 50 || (e as { code?: string }).code !== "57P03") throw e;
          await new Promise((r) => setTimeout(r, 100));
        } finally {
          await client.end().catch(() => undefined);
        }
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async close() {
      await stopGroup(child, "SIGINT"); // fast shutdown
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
