// Models, health, readiness and metrics.
import { Router } from "express";
import type { ModelPool } from "../../engine";
import type { WorkerAnnouncement } from "../../jobs/redis/queue";
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
    const allowed = (name: string) => deps.allowedModels.length === 0 || deps.allowedModels.includes(name);
    const models = deps.pool.available().filter((m) => allowed(m.name)).map((m) => ({
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
    res.status(ready ? 200 : 503).json({ status: status ?? (ready ? "ready" : "starting"), detail, queue: await deps.queueDepth() });
  });

  router.get("/metrics", async (_req, res) => {
    const depth = await deps.queueDepth();
    deps.metrics.queueDepth.set({ state: "waiting" }, depth.waiting);
    deps.metrics.queueDepth.set({ state: "running" }, depth.running);
    if (deps.workers) {
      const workers = await deps.workers();
      const { workersByModel, workerUtilisation, workerBusyLanes } = deps.metrics;
      // Workers that went away are dropped, not left at their last value.
      workersByModel.reset();
      workerUtilisation.reset();
      workerBusyLanes.reset();
      const byModel = new Map<string, number>();
      for (const w of workers) {
        for (const m of w.models) byModel.set(m, (byModel.get(m) ?? 0) + 1);
        workerUtilisation.set({ worker: w.id, device: w.device }, w.utilisation);
        workerBusyLanes.set({ worker: w.id, device: w.device }, w.busy);
      }
      for (const [model, count] of byModel) workersByModel.set({ model }, count);
    }
    res.setHeader("Content-Type", deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  return router;
}
