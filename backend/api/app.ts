// The Express app, built by a function so tests can start it on port 0 with their own parts.
import express, { type Request } from "express";
import { rateLimit, ipKeyGenerator } from "express-rate-limit";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pinoHttp } from "pino-http";
import type { Config } from "../config";
import type { ModelPool } from "../engine";
import type { JobQueue } from "../jobs/types";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { Store } from "../store";
import { ApiError, errorHandler, sendError } from "./errors";
import type { GenerationService } from "./generation-service";
import { openApiDocument } from "./openapi";
import { feedbackRoutes } from "./routes/feedback";
import { generationRoutes } from "./routes/generations";
import { imageRoutes } from "./routes/images";
import { openaiRoutes } from "./routes/openai";
import { systemRoutes } from "./routes/system";

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  pool: ModelPool;
  store: Store;
  queue: JobQueue;
  service: GenerationService;
  ready(): { ready: boolean; detail: string };
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Who is asking: the IP for now (its /64 for IPv6), the signed-in user once auth is on. */
export function clientId(req: Request): string {
  return ipKeyGenerator(req.ip ?? "unknown");
}

export function createApp(deps: AppDeps) {
  const { config, metrics } = deps;
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", "loopback");

  app.use((req, res, next) => {
    const incoming = req.get("x-request-id");
    const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader("X-Request-Id", id);
    const started = performance.now();
    res.on("finish", () => {
      const route = req.route?.path ? String(req.route.path) : "unmatched";
      metrics.httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      metrics.httpDuration.observe({ route, method: req.method }, (performance.now() - started) / 1000);
    });
    next();
  });
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => String(res.getHeader("X-Request-Id")),
      autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/metrics" },
    }),
  );
  app.use(express.json({ limit: config.bodyLimit }));

  const limiter = rateLimit({
    windowMs: config.rateLimitWindowMs,
    limit: config.rateLimitMax,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: clientId,
    handler: (req, res) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      sendError(res, new ApiError("rate_limited", `too many generation requests; try again in ${seconds} s`, { retryAfterSeconds: seconds }));
    },
  });

  const routeDeps = { service: deps.service, store: deps.store, queue: deps.queue, clientId, rateLimit: limiter };
  app.use(generationRoutes(routeDeps));
  app.use(openaiRoutes(routeDeps));
  app.use(imageRoutes(deps.store));
  app.use(feedbackRoutes(deps.store, clientId));
  app.use(
    systemRoutes({
      pool: deps.pool,
      defaultModel: config.model,
      metrics,
      ready: deps.ready,
      queueDepth: () => deps.queue.depth(),
    }),
  );
  app.get("/api/openapi.json", (_req, res) => void res.json(openApiDocument()));

  // office.js for development and tests: the CDN copy that production pages use is unreachable offline.
  app.use("/vendor/office-js", express.static(resolve(import.meta.dirname, "../../node_modules/@microsoft/office-js/dist")));
  const staticDir = resolve(config.staticDir);
  if (existsSync(staticDir)) app.use(express.static(staticDir, { index: ["taskpane.html", "index.html"] }));

  app.use((req) => {
    throw new ApiError("not_found", `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler((error, req) => deps.logger.error({ err: error, reqId: (req as { id?: unknown }).id }, "request failed")));
  return app;
}
