// Throughput and latency of the whole service (HTTP → queue → engine → safety → encode → store)
// at 1, 4 and 16 concurrent clients, with micro-batching on and off. Loopback only; each level
// sends a fixed number of requests and stops.
//   npm run bench:server                        the default model
//   npm run bench:server -- --model sd15 --models-dir tests/fixtures --requests 32
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../backend/config";
import { startServer } from "../backend/server";

const { values } = parseArgs({
  options: {
    model: { type: "string" },
    "models-dir": { type: "string" },
    requests: { type: "string", default: "32" },
    size: { type: "string", default: "512" },
    concurrency: { type: "string", default: "1,4,16" },
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
          body: JSON.stringify({ prompt: `a lake at sunrise, hills ${i % 7}`, size: `${values.size}x${values.size}` }),
        });
        const body = await res.text();
        if (res.ok) latencies.push(performance.now() - t0);
        else {
          failures++;
          reasons.add(`${res.status} ${body.slice(0, 200)}`);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { rps: latencies.length / seconds, p50: percentile(latencies, 50), p95: percentile(latencies, 95), failures };
}

const reasons = new Set<string>();
const rows: string[][] = [];
for (const batching of [false, true]) {
  const dataDir = mkdtempSync(join(tmpdir(), "lumen-bench-"));
  const config = loadConfig(
    {
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
    },
  );
  const server = await startServer(config);
  await server.ready;
  await measure(server.url, 1); // warm-up
  for (const clients of levels) {
    const r = await measure(server.url, clients);
    rows.push([
      config.model, batching ? "on" : "off", String(clients), r.rps.toFixed(2), r.p50.toFixed(0), r.p95.toFixed(0), String(r.failures),
    ]);
  }
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}

console.log(`${total} requests per level, ${values.size}×${values.size}, POST /v1/images/generations over loopback HTTP\n`);
const header = ["model", "batching", "clients", "req/s", "p50 ms", "p95 ms", "failed"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
rows.forEach((r) => console.log(line(r)));
if (reasons.size > 0) console.log(`\nfailures:\n${[...reasons].join("\n")}`);
