// One validated configuration object, from LUMEN_* environment variables over an optional JSON
// config file (LUMEN_CONFIG=path). Invalid values stop the start with a message naming them.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { devices } from "./engine/providers";

const bool = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const ConfigSchema = z
  .object({
    host: z.string().default("localhost"),
    port: int(0, 65535).default(3000),
    /** Plain HTTP (tests, behind a TLS-terminating proxy); otherwise HTTPS. */
    http: bool.default(false),
    tlsCert: z.string().optional(),
    tlsKey: z.string().optional(),
    dataDir: z.string().default("data"),
    /** Where the built add-in files are served from, when the folder exists. */
    staticDir: z.string().default("dist"),
    model: z.string().default("lumen-landscapes"),
    modelsDir: z.string().optional(),
    device: z.enum(devices).default("auto"),
    threads: int(1, 256).optional(),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    safetyLevel: z.enum(["strict", "moderate"]).default("moderate"),
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
  })
  .strict();

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

export function loadConfig(overrides: Partial<Record<keyof Config, unknown>> = {}, env = process.env): Config {
  let file: Record<string, unknown> = {};
  if (env.LUMEN_CONFIG) {
    const path = resolve(env.LUMEN_CONFIG);
    if (!existsSync(path)) throw new ConfigError(`config file ${path} (LUMEN_CONFIG) does not exist`);
    try {
      file = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const result = ConfigSchema.safeParse({ ...file, ...fromEnv(env), ...overrides });
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
}
