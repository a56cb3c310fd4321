// Models, health, readiness and metrics.
import { Router } from "express";
import type { ModelPool } from "../../engine";
import type { WorkerAnnouncement } from "../../jobs/redis/queue";
import { QueueUnavailableError } from "../../jobs/types";
import type { Metrics } from "../../observability/metrics";

export function systemRoutes(deps: {
  pool: ModelPool;
  defaultModel: string;
  /** Empty: every installed model. */
  allowedModels: string[];
  metrics: Metrics;
  /** status: "ready", "starting", or "storage_unavailable" while the data directory cannot be written. */
  ready(): { ready: boolean; detail: string; status?: string };
  queueDepth(): Promise<{ waiting: number; running: number }>;
  /** Workers sharing the queue (Redis): workers by model and each one's utilisation in /metrics. */
  workers?: () => Promise<WorkerAnnouncement[]>;
}): Router {
  const router = Router();

  router.get("/api/models", (_req, res) => {
    const allowed = (name: string) =>
      deps.allowedModels.length === 0 || deps.allowedModels.includes(name);
    const models = deps.pool
      .available()
      .filter((m) => allowed(m.name))
      .map((m) => ({
        name: m.name,
        kind: m.kind,
        precision: m.precision,
        devices: m.devices,
        source: m.source ?? null,
        description: m.description ?? null,
        default: m.name === deps.defaultModel,
        defaults: m.defaults ?? null,
        nativeSize: m.nativeSize ?? null,
        fromPicture: m.fromPicture,
        bytes: m.bytes,
      }));
    res.json({ models });
  });

  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });

  router.get("/readyz", async (_req, res) => {
    const { ready, detail, status } = deps.ready();
    let queue;
    try {
      queue = await deps.queueDepth();
    } catch (e) {
      if (!(e instanceof QueueUnavailableError)) throw e;
      // Not ready while the shared queue is down: a load balancer sends no generations here.
      res.status(503).json({ status: "queue_unavailable", detail: e.message, queue: null });
      return;
    }
    res
      .status(ready ? 200 : 503)
      .json({ status: status ?? (ready ? "ready" : "starting"), detail, queue });
  });

  router.get("/metrics", async (_req, res) => {
    const { queueDepth, workersByModel, workerUtilisation, workerBusyLanes } = deps.metrics;
    // What only the shared queue knows is left out while it cannot be reached (never a stale
    // value); everything else is still scraped.
    queueDepth.reset();
    workersByModel.reset();
    workerUtilisation.reset();
    workerBusyLanes.reset();
    try {
      const depth = await deps.queueDepth();
      queueDepth.set({ state: "waiting" }, depth.waiting);
      queueDepth.set({ state: "running" }, depth.running);
      if (deps.workers) {
        const byModel = new Map<string, number>();
        // Workers that went away are dropped, not left at their last value.
        for (const w of await deps.workers()) {
          for (const m of w.models) byModel.set(m, (byModel.get(m) ?? 0) + 1);
          workerUtilisation.set({ worker: w.id, device: w.device }, w.utilisation);
          workerBusyLanes.set({ worker: w.id, device: w.device }, w.busy);
        }
        for (const [model, count] of byModel) workersByModel.set({ model }, count);
      }
    } catch (e) {
      if (!(e instanceof QueueUnavailableError)) throw e;
    }
    res.setHeader("Content-Type", deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  return router;
}
