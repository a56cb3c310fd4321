// Models, health, readiness and metrics.
import { Router } from "express";
import type { ModelPool } from "../../engine";
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
    res.setHeader("Content-Type", deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });

  return router;
}
