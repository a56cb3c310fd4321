// The Express app, built by a function so tests can start it on port 0 with their own parts.
import cors from "cors";
import bytes from "bytes";
import express, { type Request, type RequestHandler } from "express";
import helmet from "helmet";
import { rateLimit, ipKeyGenerator } from "express-rate-limit";
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pinoHttp } from "pino-http";
import { createEntraVerifier } from "../auth/entra";
import { identityOf, requireAuth } from "../auth/middleware";
import type { Config } from "../config";
import type { ModelPool } from "../engine";
import type { WorkerAnnouncement } from "../jobs/redis/queue";
import type { JobQueue } from "../jobs/types";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import type { ContentCredentials } from "../provenance";
import type { Owner, Store } from "../store";
import { ArenaService } from "./arena-service";
import { ApiError, errorHandler, sendError } from "./errors";
import type { GenerationService } from "./generation-service";
import { linkOrigin } from "./links";
import { openApiDocument } from "./openapi";
import { arenaRoutes } from "./routes/arena";
import { feedbackRoutes } from "./routes/feedback";
import { generationRoutes } from "./routes/generations";
import { imageRoutes } from "./routes/images";
import { openaiRoutes } from "./routes/openai";
import { policyRoutes } from "./routes/policy";
import { systemRoutes } from "./routes/system";

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  pool: ModelPool;
  store: Store;
  queue: JobQueue;
  service: GenerationService;
  ready(): { ready: boolean; detail: string; status?: string };
  /** The address the server listens on, for links when no public URL is configured. */
  selfUrl?: () => string;
  /** Signs the converted and resized copies /api/images serves; without it they carry XMP only. */
  contentCredentials?: ContentCredentials;
  /** Uniform in [0, 1) for the arena's pairings; Math.random unless a test fixes it. */
  random?: () => number;
  /** Workers sharing the queue (Redis), for /metrics. */
  workers?: () => Promise<WorkerAnnouncement[]>;
}

const REQUEST_ID = /^[\w.:-]{1,100}$/;

/** Who is asking: the signed-in user (tenant:user) when sign-in is on, else the IP (its /64 for IPv6). */
export function clientId(req: Request): string {
  const identity = identityOf(req);
  return identity ? `${identity.tenantId}:${identity.userId}` : ipKeyGenerator(req.ip ?? "unknown");
}

/**
 * Who owns what the request creates and may see what it names: the signed-in user of a tenant.
 * Undefined when sign-in is off: there are no users then, and an id is all it takes.
 */
export function ownerOf(req: Request): Owner | undefined {
  const identity = identityOf(req);
  return identity ? { tenantId: identity.tenantId, userId: identity.userId } : undefined;
}

/**
 * JSON can spell a lone UTF-16 surrogate ("\ud800"), which is no character: stored, it becomes
 * invalid UTF-8. Refused here for every string of every body, naming the field.
 */
function rejectLoneSurrogates(): RequestHandler {
  // A high surrogate not followed by a low one, or a low one not preceded by a high one.
  const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const find = (value: unknown, path: string): string | undefined => {
    if (typeof value === "string") return LONE.test(value) ? path : undefined;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) {
        const found = find(item, `${path}[${i}]`);
        if (found !== undefined) return found;
      }
    } else if (value && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (LONE.test(key)) return path ? `${path}.(key)` : "(key)";
        const found = find(item, path ? `${path}.${key}` : key);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  return (req, _res, next) => {
    const field = find(req.body, "");
    if (field !== undefined) {
      throw new ApiError(
        "invalid_request",
        `${field || "body"}: text contains a lone surrogate (\\uD800–\\uDFFF without its pair), which is not a character`,
        {
          param: field || null,
        }
      );
    }
    next();
  };
}

/** Hosts that frame the task pane in Office on the web. */
const OFFICE_FRAME_ANCESTORS = [
  "https://*.officeapps.live.com",
  "https://*.office.com",
  "https://*.office365.com",
  "https://*.microsoft365.com",
  "https://*.cloud.microsoft",
  "https://*.sharepoint.com",
];

/** Routes anyone may read: the task pane asks for the policy before it can sign in. */
const PUBLIC_API = new Set(["/api/policy", "/api/openapi.json"]);

function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        "default-src": ["'self'"],
        // office.js and the scripts it loads come from Microsoft's CDN in production.
        "script-src": ["'self'", "https://appsforoffice.microsoft.com"],
        // Fluent UI (Griffel) inserts its style rules at run time.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        // Sign-in (MSAL) talks to Entra ID and may use a hidden frame or popup there.
        "connect-src": ["'self'", "https://login.microsoftonline.com"],
        "frame-src": [
          "'self'",
          "https://login.microsoftonline.com",
          "https://appsforoffice.microsoft.com",
        ],
        "frame-ancestors": ["'self'", ...OFFICE_FRAME_ANCESTORS],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
      },
    },
    // Office on the web shows the task pane in a frame; frame-ancestors decides who may.
    frameguard: false,
    crossOriginEmbedderPolicy: false,
  });
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
      metrics.httpDuration.observe(
        { route, method: req.method },
        (performance.now() - started) / 1000
      );
    });
    next();
  });
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (_req, res) => String(res.getHeader("X-Request-Id")),
      // Probes and scrapes would drown the log; /readyz answers 503 by design while starting.
      autoLogging: { ignore: (req) => ["/healthz", "/readyz", "/metrics"].includes(req.url ?? "") },
      // Bearer tokens and cookies would let anyone who reads the log act as the user.
      redact: { paths: ["req.headers.authorization", "req.headers.cookie"], censor: "[redacted]" },
    })
  );
  app.use(securityHeaders());
  if (config.corsOrigins.length) {
    app.use(
      cors({
        origin: config.corsOrigins,
        exposedHeaders: ["X-Request-Id", "Retry-After"],
        maxAge: 600,
      })
    );
  }
  if (config.auth === "entra") {
    const guard = requireAuth(
      createEntraVerifier({
        audience: config.authAudience,
        tenants: config.authTenants,
        jwksUrl: config.authJwksUrl,
      })
    );
    app.use(["/api", "/v1"], (req, res, next) =>
      PUBLIC_API.has(req.originalUrl.split("?")[0]) ? next() : guard(req, res, next)
    );
  }
  // A generation may carry a starting picture as a data: URL (base64 is 4/3 of the file); any
  // other body keeps the usual limit.
  const bodyLimit = bytes.parse(config.bodyLimit) ?? 64 * 1024;
  app.use(
    "/api/generations",
    express.json({
      limit: Math.ceil((config.maxPictureBytes * 4) / 3) + bodyLimit,
      verify: (req, _res, buf) =>
        void ((req as Request & { bodyBytes?: number }).bodyBytes = buf.length),
    }),
    (req: Request & { bodyBytes?: number }, _res, next) => {
      const tooLarge =
        (req.bodyBytes ?? 0) > bodyLimit &&
        typeof (req.body as { image?: unknown } | undefined)?.image !== "string";
      next(
        tooLarge
          ? new ApiError(
              "payload_too_large",
              `request body is larger than the ${bodyLimit}-byte limit`
            )
          : undefined
      );
    }
  );
  app.use(express.json({ limit: config.bodyLimit }));
  app.use(rejectLoneSurrogates());

  const limiter = rateLimit({
    windowMs: config.rateLimitWindowMs,
    limit: config.rateLimitMax,
    standardHeaders: "draft-8",
    legacyHeaders: false,
    keyGenerator: clientId,
    handler: (req, res) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : 60;
      sendError(
        res,
        new ApiError("rate_limited", `too many generation requests; try again in ${seconds} s`, {
          retryAfterSeconds: seconds,
        })
      );
    },
  });

  const selfUrl =
    deps.selfUrl ?? (() => `${config.http ? "http" : "https"}://${config.host}:${config.port}`);
  const routeDeps = {
    service: deps.service,
    store: deps.store,
    queue: deps.queue,
    clientId,
    ownerOf,
    rateLimit: limiter,
  };
  app.use(generationRoutes(routeDeps));
  app.use(
    openaiRoutes({
      ...routeDeps,
      config,
      linkOrigin: (req) => linkOrigin(req, { publicUrl: config.publicUrl, selfUrl }),
    })
  );
  app.use(imageRoutes(deps.store, ownerOf, deps.contentCredentials));
  app.use(feedbackRoutes(deps.store, clientId, ownerOf));
  const arena = new ArenaService({
    config,
    pool: deps.pool,
    store: deps.store,
    queue: deps.queue,
    service: deps.service,
    metrics,
    random: deps.random,
  });
  app.use(arenaRoutes({ arena, clientId, ownerOf, rateLimit: limiter }));
  app.use(policyRoutes(config, deps.pool, () => arena.status().enabled));
  app.use(
    systemRoutes({
      pool: deps.pool,
      defaultModel: config.model,
      allowedModels: config.allowedModels,
      metrics,
      ready: deps.ready,
      queueDepth: () => deps.queue.depth(),
      workers: deps.workers,
    })
  );
  app.get("/api/openapi.json", (_req, res) => void res.json(openApiDocument()));

  // office.js for development and tests: the CDN copy that production pages use is unreachable offline.
  app.use(
    "/vendor/office-js",
    express.static(resolve(import.meta.dirname, "../../node_modules/@microsoft/office-js/dist"))
  );
  const staticDir = resolve(config.staticDir);
  if (existsSync(staticDir))
    app.use(express.static(staticDir, { index: ["taskpane.html", "index.html"] }));

  app.use((req) => {
    throw new ApiError("not_found", `no route for ${req.method} ${req.path}`);
  });
  app.use(
    errorHandler((error, req) =>
      deps.logger.error({ err: error, reqId: (req as { id?: unknown }).id }, "request failed")
    )
  );
  return app;
}
