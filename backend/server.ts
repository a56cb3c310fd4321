// Composition root: wires config, store, models, safety, queue and the HTTP app, and owns start-up
// (load + warm the default model before /readyz says ready) and graceful shutdown.
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { createApp } from "./api/app";
import { GenerationService } from "./api/generation-service";
import type { Config } from "./config";
import { generate, ModelPool } from "./engine";
import { InProcessQueue } from "./jobs/in-process-queue";
import type { JobQueue } from "./jobs/types";
import { runBatch, type WorkerContext } from "./jobs/worker";
import { createLogger, type Logger } from "./observability/logger";
import { createMetrics } from "./observability/metrics";
import { loadImageChecker, loadPromptFilter, type ImageChecker } from "./safety";
import { openStore } from "./store";
import { loadTlsFiles } from "./tls";

export interface RunningServer {
  url: string;
  port: number;
  /** Resolves when the default model is loaded and warmed and the image filter is ready. */
  ready: Promise<void>;
  queue: JobQueue;
  logger: Logger;
  close(graceMs?: number): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const store = openStore(config.dataDir);
  const purge = () => {
    const removed = store.purgeOlderThan(config.retentionDays);
    if (removed) logger.info({ removed, retentionDays: config.retentionDays }, "purged old generations");
  };
  purge();
  const purgeTimer = setInterval(purge, DAY_MS).unref();

  const pool = new ModelPool(
    { device: config.device, threads: config.threads, log: (message) => logger.warn(message) },
    config.modelsDir,
  );
  if (!pool.has(config.model)) {
    store.close();
    const names = pool.available().map((m) => m.name);
    throw new Error(`model "${config.model}" is not installed (available: ${names.join(", ") || "none"})`);
  }
  const promptFilter = loadPromptFilter();
  const imageChecker = loadImageChecker();
  // Jobs wait for the image filter rather than failing while it loads.
  const checker: ImageChecker = { checkImage: async (image, level) => (await imageChecker).checkImage(image, level) };

  const ctx: WorkerContext = {
    getModel: (name) => pool.get(name),
    imageChecker: checker,
    safetyLevel: config.safetyLevel,
    store,
    metrics,
    logger,
    jobTimeoutMs: config.jobTimeoutMs,
  };
  const queue = new InProcessQueue(
    {
      run: (batch) => runBatch(batch, ctx),
      cancelledWhileWaiting: (job) => store.setStatus(job.id, "cancelled"),
    },
    {
      maxQueue: config.maxQueue,
      concurrency: config.concurrency,
      maxBatchImages: config.maxBatchImages,
      onError: (err) => logger.error({ err }, "generation batch failed"),
    },
  );
  const service = new GenerationService({
    config,
    pool,
    promptFilter,
    store,
    queue,
    metrics,
    onModelError: (model, err) => logger.error({ err, model }, "model failed to load"),
  });

  let readiness = { ready: false, detail: `loading model ${config.model}` };
  const ready = (async () => {
    const started = performance.now();
    const model = await pool.get(config.model);
    readiness = { ready: false, detail: "warming up" };
    await generate(model, { prompt: "warm-up", seed: 0, steps: 1, width: model.defaults.width, height: model.defaults.height });
    readiness = { ready: false, detail: "loading the image safety filter" };
    await imageChecker;
    readiness = { ready: true, detail: `model ${model.name} on ${model.provider}` };
    logger.info({ model: model.name, provider: model.provider, ms: Math.round(performance.now() - started) }, "ready");
  })();
  ready.catch((err) => {
    readiness = { ready: false, detail: `start-up failed: ${String(err?.message ?? err).split("\n")[0]}` };
    logger.error({ err }, "start-up failed");
  });

  const app = createApp({ config, logger, metrics, pool, store, queue, service, ready: () => readiness });
  let server: Server;
  if (config.http) {
    server = createHttpServer({ maxHeaderSize: config.maxHeaderSize }, app);
  } else {
    const tls = await loadTlsFiles(config);
    if (tls.hint) logger.warn(tls.hint);
    server = createHttpsServer({ cert: tls.cert, key: tls.key, maxHeaderSize: config.maxHeaderSize }, app);
  }
  server.headersTimeout = 30_000;
  server.requestTimeout = 0; // SSE streams and the OpenAI route stay open as long as a generation runs
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${config.http ? "http" : "https"}://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}`;
  logger.info({ url }, "listening");

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      logger.info("shutting down");
      const stopped = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      await queue.close(graceMs);
      server.closeAllConnections();
      await stopped;
      await ready.catch(() => undefined);
      clearInterval(purgeTimer);
      store.close();
      await pool.close();
    })());

  return { url, port, ready, queue, logger, close };
}
