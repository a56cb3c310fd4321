// One validated configuration object, from LUMEN_* environment variables over an optional JSON
// config file (LUMEN_CONFIG=path). Invalid values stop the start with a message naming them.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { parseS3Url } from "./blobs/s3";
import { decoderChoices } from "./engine/decoder";
import { devices } from "./engine/providers";
import { schedulerNames } from "./engine/schedulers";

const bool = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1"),
]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/**
 * A contender of the arena: a model, or a named setting of one (steps, guidance, scheduler), so an
 * organisation with one model can still compare ways of running it.
 */
export const ArenaContenderSchema = z
  .object({
    name: z.string().trim().min(1).max(60),
    /** The model it runs; the default model when absent. */
    model: z.string().min(1).max(100).optional(),
    steps: z.number().int().min(1).max(50).optional(),
    guidance: z.number().min(0).max(20).optional(),
    scheduler: z.enum(schedulerNames).optional(),
  })
  .strict();
export type ArenaContenderSetting = z.infer<typeof ArenaContenderSchema>;

const contenderList = z
  .array(ArenaContenderSchema)
  .refine(
    (list) => new Set(list.map((c) => c.name)).size === list.length,
    "contender names must be unique"
  );
/** Contenders from JSON, or a JSON array in an environment variable. */
const contenders = z.preprocess((value, ctx) => {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    ctx.addIssue({
      code: "custom",
      message: 'must be a JSON array such as [{"name": "fast", "steps": 4}]',
      input: value,
    });
    return z.NEVER;
  }
}, contenderList);

/** A list from JSON or a comma-separated environment variable. */
const list = z.union([
  z.array(z.string()),
  z.string().transform((v) =>
    v
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)
  ),
]);
const harmCategories = ["Hate", "SelfHarm", "Sexual", "Violence"] as const;
/** Severity thresholds of Azure AI Content Safety: JSON, or "Hate=4,Sexual=2" in an environment variable. */
const severityThresholds = z.preprocess(
  (v) =>
    typeof v === "string"
      ? Object.fromEntries(
          v
            .split(",")
            .filter((p) => p.trim())
            .map((p) => p.split("=").map((s) => s.trim()))
            .map(([k, n]) => [k, n === undefined ? n : Number(n)])
        )
      : v,
  z.partialRecord(z.enum(harmCategories), z.number().int().min(1).max(7))
);

export const ConfigSchema = z
  .object({
    host: z.string().default("localhost"),
    port: int(0, 65535).default(3000),
    /** Plain HTTP (tests, behind a TLS-terminating proxy); otherwise HTTPS. */
    http: bool.default(false),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    dataDir: z.string().default("data"),
    /**
     * What this process does: "all" (default) serves the API and runs jobs; "api" serves the API and
     * queues jobs in Redis; "worker" runs jobs from Redis. api and worker need LUMEN_REDIS_URL.
     */
    role: z.enum(["all", "api", "worker"]).default("all"),
    /** Redis (redis://host:6379) for the shared job queue and event bus; unset: one process, in memory. */
    redisUrl: z
      .string()
      .refine((u) => /^rediss?:\/\//.test(u), "must be a redis:// or rediss:// URL")
      .optional(),
    /** Prefix of Lumen's keys in Redis, so deployments can share a server. */
    redisPrefix: z
      .string()
      .regex(/^[\w.-]{1,64}$/)
      .default("lumen"),
    /** PostgreSQL (postgres://user:password@host:5432/db) for history shared by every node; unset: SQLite in the data directory. */
    databaseUrl: z
      .string()
      .refine((u) => /^postgres(ql)?:\/\//.test(u), "must be a postgres:// or postgresql:// URL")
      .optional(),
    /** Where image files go; default <dataDir>/images. Every node must see the same directory (a shared volume). */
    imagesDir: z.string().optional(),
    /**
     * Images in an S3 bucket instead of a directory: s3://bucket or s3://bucket/prefix. Credentials
     * come from the AWS SDK's chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, a role).
     */
    blobUrl: z
      .string()
      .superRefine((u, ctx) => {
        try {
          parseS3Url(u);
        } catch (e) {
          ctx.addIssue({ code: "custom", message: (e as Error).message });
        }
      })
      .optional(),
    /** An S3-compatible server (http://minio.internal:9000) instead of AWS S3. */
    s3Endpoint: z
      .string()
      .url()
      .refine((u) => /^https?:$/.test(new URL(u).protocol), "must be an http or https URL")
      .optional(),
    /** Bucket in the URL's path rather than its host name; default on with LUMEN_S3_ENDPOINT, off for AWS S3. */
    s3ForcePathStyle: bool.optional(),
    /** The bucket's region; default AWS_REGION, else us-east-1 (what most S3-compatible servers expect). */
    s3Region: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/, "must be a region name such as eu-west-1")
      .optional(),
    /** Models a worker takes jobs for (default: the default model). */
    workerModels: list.default([]),
    /** How long a worker's claim on a job lasts without renewal: a dead worker's jobs are retried after about this long. */
    jobLockMs: int(1000, 600_000).default(30_000),
    /** Where the built add-in files are served from, when the folder exists. */
    staticDir: z.string().default("dist"),
    model: z.string().default("lumen-landscapes"),
    modelsDir: z.string().optional(),
    device: z.enum(devices).default("auto"),
    threads: int(1, 256).optional(),
    /** Latents → pixels: "full" VAE, "tiny" (a model folder's taesd_decoder/), or "auto" (tiny when present). */
    decoder: z.enum(decoderChoices).default("auto"),
    logLevel: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])
      .default("info"),
    safetyLevel: z.enum(["strict", "moderate"]).default("moderate"),
    /** A second safety provider after the built-in filters: none, or Azure AI Content Safety. */
    safetyProvider: z.enum(["builtin", "azure"]).default("builtin"),
    /** When the provider fails: "closed" refuses (503), "builtin" carries on with the built-in filters alone. */
    safetyFailureMode: z.enum(["closed", "builtin"]).default("closed"),
    /** https://<resource>.cognitiveservices.azure.com */
    azureContentSafetyEndpoint: z.string().url().optional(),
    /** Resource key; without one, Microsoft Entra ID (client secret or managed identity). */
    azureContentSafetyKey: z.string().min(1).optional(),
    azureContentSafetyTenantId: z.string().min(1).optional(),
    /** App registration (with the secret) or user-assigned managed identity (without). */
    azureContentSafetyClientId: z.string().min(1).optional(),
    azureContentSafetyClientSecret: z.string().min(1).optional(),
    azureContentSafetyApiVersion: z.string().min(1).default("2024-09-01"),
    /** Per attempt. */
    azureContentSafetyTimeoutMs: int(100, 60_000).default(5000),
    /** Further attempts after 429, 5xx, timeouts and network errors. */
    azureContentSafetyRetries: int(0, 10).default(2),
    /** Custom blocklists (created in the Content Safety resource) checked with every prompt. */
    azureContentSafetyBlocklists: list.default([]),
    azureContentSafetyHaltOnBlocklistHit: bool.default(true),
    /** Block at or above these severities (1–7); categories left out follow safetyLevel (4 moderate, 2 strict). */
    azureContentSafetyThresholds: severityThresholds.default({}),
    /** Keep prompt text in the generation history (a hash is always kept). */
    storePrompts: bool.default(true),
    /** Keep prompt text in audit rows of blocked requests (otherwise only its hash). */
    auditPromptText: bool.default(false),
    retentionDays: int(1, 3650).default(30),
    maxQueue: int(1, 10_000).default(32),
    concurrency: int(1, 64).default(1),
    /** Most images one UNet batch may carry when compatible requests are merged; 1 turns it off. */
    maxBatchImages: int(1, 32).default(8),
    jobTimeoutMs: int(1000, 3_600_000).default(120_000),
    rateLimitWindowMs: int(1000, 86_400_000).default(60_000),
    /** Generation requests per client per window. */
    rateLimitMax: int(1, 100_000).default(30),
    bodyLimit: z.string().default("64kb"),
    /** Largest starting picture (image-to-image) in bytes; JSON bodies that carry one may be a third larger. */
    maxPictureBytes: int(1024, 50 * 1024 * 1024).default(4 * 1024 * 1024),
    /** Largest request header block in bytes. */
    maxHeaderSize: int(1024, 65536).default(16384),
    /**
     * Time a client has to send a whole request (headers and body); half-sent requests are closed
     * with 408. Answers may take longer: event streams and the OpenAI route stay open while a job runs.
     */
    requestTimeoutMs: int(1000, 600_000).default(30_000),
    /** The address users reach the service at (https://images.example.org); absolute links are built on it. */
    publicUrl: z
      .string()
      .url()
      .refine((u) => /^https?:$/.test(new URL(u).protocol), "must be an http or https URL")
      .optional(),
    /** Sign-in: "none" for local development, "entra" to require a Microsoft Entra ID token. */
    auth: z.enum(["none", "entra"]).default("none"),
    /** Accepted token audiences: the API's application ID URI and/or client id. */
    authAudience: list.default([]),
    /** Allowed tenant ids (tid claim). */
    authTenants: list.default([]),
    authJwksUrl: z
      .string()
      .url()
      .default("https://login.microsoftonline.com/common/discovery/v2.0/keys"),
    /** The add-in's app registration (client id), for the task pane's sign-in and the manifest. */
    authClientId: z.string().optional(),
    /** Tenant policy file (admin-owned); its settings override everything else. */
    policy: z.string().optional(),
    /** Models users may choose; empty means every installed model. */
    allowedModels: list.default([]),
    maxImagesPerRequest: int(1, 4).default(4),
    /** Longest side of a requested image, in pixels. */
    maxSize: int(64, 2048).default(2048),
    /** Origins allowed to call the API from a browser (CORS); the add-in's own origin needs none. */
    corsOrigins: list.default([]),
    /**
     * Content Credentials (C2PA) signing: the organisation's PEM private key and PEM certificate
     * chain (signing certificate first). Without them a development certificate is made under
     * <dataDir>/c2pa/, whose credentials validators show as untrusted.
     */
    c2paKey: z.string().optional(),
    c2paCert: z.string().optional(),
    /** The arena (pairwise votes between contenders); it runs only where there are two or more. */
    arena: bool.default(true),
    /** Named settings to compare in the arena; empty means every installed (allowed) model. */
    arenaContenders: contenders.default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (Boolean(c.c2paKey) !== Boolean(c.c2paCert)) {
      ctx.addIssue({
        code: "custom",
        path: [c.c2paKey ? "c2paCert" : "c2paKey"],
        message: "LUMEN_C2PA_KEY and LUMEN_C2PA_CERT go together",
      });
    }
    if (c.safetyProvider === "azure") {
      if (!c.azureContentSafetyEndpoint) {
        ctx.addIssue({
          code: "custom",
          path: ["azureContentSafetyEndpoint"],
          message:
            "LUMEN_AZURE_CONTENT_SAFETY_ENDPOINT is required when LUMEN_SAFETY_PROVIDER=azure",
        });
      } else {
        const url = new URL(c.azureContentSafetyEndpoint);
        if (
          url.protocol !== "https:" &&
          !(url.protocol === "http:" && ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname))
        ) {
          ctx.addIssue({
            code: "custom",
            path: ["azureContentSafetyEndpoint"],
            message: "must be an https:// URL",
          });
        }
      }
      if (
        c.azureContentSafetyClientSecret &&
        !(c.azureContentSafetyTenantId && c.azureContentSafetyClientId)
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["azureContentSafetyClientSecret"],
          message:
            "LUMEN_AZURE_CONTENT_SAFETY_TENANT_ID and LUMEN_AZURE_CONTENT_SAFETY_CLIENT_ID are required with a client secret",
        });
      }
    }
    if (c.blobUrl && c.imagesDir) {
      ctx.addIssue({
        code: "custom",
        path: ["blobUrl"],
        message:
          "LUMEN_BLOB_URL and LUMEN_IMAGES_DIR exclude each other: images go to a bucket or to a directory",
      });
    }
    if (!c.blobUrl && (c.s3Endpoint || c.s3ForcePathStyle !== undefined || c.s3Region)) {
      ctx.addIssue({
        code: "custom",
        path: ["blobUrl"],
        message: "LUMEN_BLOB_URL=s3://bucket/prefix is required with the LUMEN_S3_* settings",
      });
    }
    if (c.role !== "all" && !c.redisUrl) {
      ctx.addIssue({
        code: "custom",
        path: ["redisUrl"],
        message: `LUMEN_REDIS_URL is required for --role ${c.role} (the queue it shares with the other nodes)`,
      });
    }
    if (c.auth !== "entra") return;
    if (c.authAudience.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["authAudience"],
        message: "LUMEN_AUTH_AUDIENCE is required when LUMEN_AUTH=entra",
      });
    if (c.authTenants.length === 0)
      ctx.addIssue({
        code: "custom",
        path: ["authTenants"],
        message: "LUMEN_AUTH_TENANTS is required when LUMEN_AUTH=entra",
      });
  });

export type Config = z.infer<typeof ConfigSchema>;

const ENV_PREFIX = "LUMEN_";

/** LUMEN_SAFETY_LEVEL → safetyLevel, for every key of the schema. */
function fromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const name = ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
    if (env[name] !== undefined && env[name] !== "") out[key] = env[name]!;
  }
  return out;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * The tenant policy: one admin-owned JSON file whose settings win over the environment, so the
 * people who run the servers cannot loosen what the tenant admin decided.
 */
export const PolicySchema = z
  .object({
    safetyLevel: z.enum(["strict", "moderate"]).optional(),
    /** Azure AI Content Safety, set by the tenant: provider, failure mode, thresholds, blocklists. */
    contentSafety: z
      .object({
        provider: z.enum(["builtin", "azure"]).optional(),
        failureMode: z.enum(["closed", "builtin"]).optional(),
        thresholds: z
          .partialRecord(z.enum(harmCategories), z.number().int().min(1).max(7))
          .optional(),
        blocklists: z
          .array(
            z
              .string()
              .regex(
                /^[0-9A-Za-z._~-]{1,64}$/,
                "a blocklist name: letters, digits and . _ ~ -, at most 64"
              )
          )
          .optional(),
        haltOnBlocklistHit: z.boolean().optional(),
      })
      .strict()
      .optional(),
    allowedModels: z.array(z.string().min(1)).optional(),
    maxImagesPerRequest: z.number().int().min(1).max(4).optional(),
    maxSize: z.number().int().min(64).max(2048).optional(),
    rateLimit: z
      .object({
        windowSeconds: z.number().int().min(1).max(86_400),
        max: z.number().int().min(1).max(100_000),
      })
      .strict()
      .optional(),
    storePrompts: z.boolean().optional(),
    retentionDays: z.number().int().min(1).max(3650).optional(),
    corsOrigins: z
      .array(
        z
          .string()
          .url()
          .refine(
            (u) => new URL(u).origin === u,
            "must be an origin such as https://contoso.sharepoint.com"
          )
      )
      .optional(),
    arena: z
      .object({ enabled: z.boolean().optional(), contenders: contenderList.optional() })
      .strict()
      .optional(),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

function loadPolicyFile(pathIn: string): Partial<Config> {
  const path = resolve(pathIn);
  if (!existsSync(path)) throw new ConfigError(`policy file ${path} does not exist`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ConfigError(`policy file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const result = PolicySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.join(".") || "(policy)"}: ${i.message}`
    );
    throw new ConfigError(`invalid policy file ${path}: ${problems.join("; ")}`);
  }
  const { rateLimit, contentSafety, arena, ...rest } = result.data;
  const safety: Partial<Config> = {};
  if (contentSafety?.provider) safety.safetyProvider = contentSafety.provider;
  if (contentSafety?.failureMode) safety.safetyFailureMode = contentSafety.failureMode;
  if (contentSafety?.thresholds) safety.azureContentSafetyThresholds = contentSafety.thresholds;
  if (contentSafety?.blocklists) safety.azureContentSafetyBlocklists = contentSafety.blocklists;
  if (contentSafety?.haltOnBlocklistHit !== undefined)
    safety.azureContentSafetyHaltOnBlocklistHit = contentSafety.haltOnBlocklistHit;
  return {
    ...rest,
    ...safety,
    ...(rateLimit
      ? { rateLimitWindowMs: rateLimit.windowSeconds * 1000, rateLimitMax: rateLimit.max }
      : {}),
    ...(arena?.enabled !== undefined ? { arena: arena.enabled } : {}),
    ...(arena?.contenders ? { arenaContenders: arena.contenders } : {}),
  };
}

export function loadConfig(
  overrides: Partial<Record<keyof Config, unknown>> = {},
  env = process.env
): Config {
  let file: Record<string, unknown> = {};
  if (env.LUMEN_CONFIG) {
    const path = resolve(env.LUMEN_CONFIG);
    if (!existsSync(path))
      throw new ConfigError(`config file ${path} (LUMEN_CONFIG) does not exist`);
    try {
      file = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const merged: Record<string, unknown> = { ...file, ...fromEnv(env), ...overrides };
  if (typeof merged.policy === "string") Object.assign(merged, loadPolicyFile(merged.policy));
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = result.error.issues.map(
      (i) => `${i.path.join(".") || "(config)"}: ${i.message}`
    );
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}
