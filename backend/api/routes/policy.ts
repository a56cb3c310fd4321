// GET /api/policy — what this organisation allows, so the task pane can hide the rest.
import { Router } from "express";
import type { Config } from "../../config";
import type { ModelPool } from "../../engine";
import { aspects, styles, type Policy } from "../../../contract";

export function policyRoutes(config: Config, pool: ModelPool, arenaEnabled: () => boolean): Router {
  const router = Router();
  router.get("/api/policy", (_req, res) => {
    const installed = pool.available().map((m) => m.name);
    const models = config.allowedModels.length
      ? installed.filter((m) => config.allowedModels.includes(m))
      : installed;
    const policy: Policy = {
      safetyLevel: config.safetyLevel,
      models,
      defaultModel: config.model,
      maxImagesPerRequest: config.maxImagesPerRequest,
      maxSize: config.maxSize,
      aspects,
      styles,
      previews: config.safetyLevel !== "strict",
      rateLimit: { windowSeconds: config.rateLimitWindowMs / 1000, max: config.rateLimitMax },
      storePrompts: config.storePrompts,
      retentionDays: config.retentionDays,
      auth:
        config.auth === "entra"
          ? {
              required: true,
              provider: "entra",
              clientId: config.authClientId ?? null,
              audience: config.authAudience[0],
            }
          : { required: false },
      arena: { enabled: arenaEnabled() },
    };
    res.json(policy);
  });
  return router;
}
