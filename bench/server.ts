// Throughput and latency of the whole service (HTTP → queue → engine → safety → encode → store)
// at 1, 4 and 16 concurrent clients, with micro-batching on and off. Loopback only; each level
// sends a fixed number of requests and stops.
//   npm run bench:server                        the default model
//   npm run bench:server -- --model sd15 --models-dir tests/fixtures --requests 32
// With --workers the service runs scaled out instead: a Redis and a PostgreSQL started for the
// run (in temporary directories, on free ports), one API node and N worker processes
// (`lumen serve --role api|worker`, one ONNX Runtime thread each), micro-batching on.
//   npm run bench:server -- --workers 1,2 --requests 24
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../backend/config";
import { startServer } from "../backend/server";
import { spawnServer, type ServerProcess } from "../tests/helpers/process-server";
import { startPostgres, startRedis } from "../tests/helpers/services";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    "models-dir": { type: "string" },
    requests: { type: "string", default: "32" },
    size: { type: "string", default: "512" },
    concurrency: { type: "string", default: "1,4,16" },
    workers: { type: "string" },
  },
});
const total = Number(values.requests);
const levels = values.concurrency!.split(",").map(Number);

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function measure(url: string, clients: number) {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const res = await fetch(`${url}/v1/images/generations`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            prompt: `a lake at sunrise, hills ${i % 7}`,
            size: `${values.size}x${values.size}`,
          }),
        });
        const body = await res.text();
        if (res.ok) latencies.push(performance.now() - t0);
        else {
          failures++;
          reasons.add(`${res.status} ${body.slice(0, 200)}`);
        }
      }
    })
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    failures,
  };
}

const reasons = new Set<string>();
const rows: string[][] = [];

/** Measures every concurrency level against one service; the first request warms it up. */
async function levelsOn(url: string, label: string[]): Promise<void> {
  await measure(url, 1); // warm-up
  for (const clients of levels) {
    const r = await measure(url, clients);
    rows.push([
      ...label,
      String(clients),
      r.rps.toFixed(2),
      r.p50.toFixed(0),
      r.p95.toFixed(0),
      String(r.failures),
    ]);
  }
}

async function singleProcess(): Promise<void> {
  for (const batching of [false, true]) {
    const dataDir = mkdtempSync(join(tmpdir(), "lumen-bench-"));
    const config = loadConfig({
      http: true,
      host: "127.0.0.1",
      port: 0,
      dataDir,
      logLevel: "silent",
      maxBatchImages: batching ? 8 : 1,
      maxQueue: 1000,
      rateLimitMax: 100_000,
      ...(values.model ? { model: values.model } : {}),
      ...(values["models-dir"] ? { modelsDir: values["models-dir"] } : {}),
    });
    const server = await startServer(config);
    await server.ready;
    await levelsOn(server.url, [config.model, batching ? "on" : "off"]);
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function scaledOut(counts: number[]): Promise<void> {
  const model = values.model ?? "lumen-landscapes";
  const modelsDir = values["models-dir"] ?? join(import.meta.dirname, "..", "models");
  for (const workers of counts) {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
    const work = mkdtempSync(join(tmpdir(), "lumen-bench-scaled-"));
    const env = {
      LUMEN_REDIS_URL: redis.url,
      LUMEN_DATABASE_URL: await postgres.createDatabase(),
      LUMEN_IMAGES_DIR: join(work, "images"),
      LUMEN_MODELS_DIR: modelsDir,
      LUMEN_MODEL: model,
      LUMEN_THREADS: "1",
      LUMEN_LOG_LEVEL: "warn",
      LUMEN_MAX_QUEUE: "1000",
      LUMEN_RATE_LIMIT_MAX: "100000",
    };
    const nodes: ServerProcess[] = [];
    try {
      const spawn = async (role: string, i: number) => {
        const node = await spawnServer({
          dataDir: mkdtempSync(join(work, `${role}${i}-`)),
          env: { ...env, LUMEN_ROLE: role },
        });
        nodes.push(node);
        await node.waitReady(300_000);
        return node;
      };
      const [api] = await Promise.all([
        spawn("api", 0),
        ...Array.from({ length: workers }, (_, i) => spawn("worker", i)),
      ]);
      await levelsOn(api.url, [model, String(workers)]);
    } finally {
      await Promise.all(nodes.map((n) => n.kill().catch(() => undefined)));
      await Promise.all([redis.close(), postgres.close()]);
      rmSync(work, { recursive: true, force: true });
    }
  }
}

const workerCounts = values.workers?.split(",").map(Number);
if (workerCounts) await scaledOut(workerCounts);
else await singleProcess();

const setup = workerCounts
  ? "1 API node and N worker processes on Redis + PostgreSQL, batching on"
  : "one process";
console.log(
  `${total} requests per level, ${values.size}×${values.size}, POST /v1/images/generations over loopback HTTP; ${setup}\n`
);
const header = [
  "model",
  workerCounts ? "workers" : "batching",
  "clients",
  "req/s",
  "p50 ms",
  "p95 ms",
  "failed",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
rows.forEach((r) => console.log(line(r)));
if (reasons.size > 0) console.log(`\nfailures:\n${[...reasons].join("\n")}`);
