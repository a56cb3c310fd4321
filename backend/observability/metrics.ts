// Prometheus metrics (prom-client), one registry per server so tests can run several side by side.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "lumen_process_" });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: "lumen_http_requests_total",
      help: "HTTP requests by route, method and status",
      labelNames: ["route", "method", "status"] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: "lumen_http_request_duration_seconds",
      help: "HTTP request duration by route",
      labelNames: ["route", "method"] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    queueDepth: new Gauge({
      name: "lumen_queue_depth",
      help: "Generations waiting or running",
      labelNames: ["state"] as const,
      registers,
    }),
    stageDuration: new Histogram({
      name: "lumen_stage_duration_seconds",
      help: "Time per generation stage (queue wait, text encoder, unet, vae, safety, encode, store)",
      labelNames: ["stage"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    batchSize: new Histogram({
      name: "lumen_batch_requests",
      help: "Requests merged into one UNet batch",
      buckets: [1, 2, 3, 4, 6, 8, 16],
      registers,
    }),
    imagesGenerated: new Counter({
      name: "lumen_images_generated_total",
      help: "Images delivered, by model",
      labelNames: ["model"] as const,
      registers,
    }),
    safetyBlocks: new Counter({
      name: "lumen_safety_blocks_total",
      help: "Prompts and images blocked, by kind, category and the provider that blocked (builtin, azure)",
      labelNames: ["kind", "category", "provider"] as const,
      registers,
    }),
    safetyProviderFailures: new Counter({
      name: "lumen_safety_provider_failures_total",
      help: "Calls to a safety provider that gave no verdict, by provider, kind and what followed (failed_closed, builtin_only)",
      labelNames: ["provider", "kind", "outcome"] as const,
      registers,
    }),
    arenaVotes: new Counter({
      name: "lumen_arena_votes_total",
      help: "Arena votes taken, by outcome (left, right, tie, both_bad)",
      labelNames: ["winner"] as const,
      registers,
    }),
    logLinesDropped: new Counter({
      name: "lumen_log_lines_dropped_total",
      help: "Log lines dropped because the log destination was full, failing or too slow",
      registers,
    }),
    workersByModel: new Gauge({
      name: "lumen_workers",
      help: "Workers taking jobs from the shared queue, by model (Redis only)",
      labelNames: ["model"] as const,
      registers,
    }),
    workerUtilisation: new Gauge({
      name: "lumen_worker_utilisation",
      help: "Share of a worker's lane time spent running batches over its last announcement interval (Redis only)",
      labelNames: ["worker", "device"] as const,
      registers,
    }),
    workerBusyLanes: new Gauge({
      name: "lumen_worker_busy_lanes",
      help: "Lanes of a worker running a batch now (Redis only)",
      labelNames: ["worker", "device"] as const,
      registers,
    }),
    generations: new Counter({
      name: "lumen_generations_total",
      help: "Finished generations by status",
      labelNames: ["status"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
