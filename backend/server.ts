// Composition root: wires config, store, models, safety, queue and the HTTP app, and owns start-up
// (load + warm the default model before /readyz says ready) and graceful shutdown. One process
// does everything by default; with Redis, a process is an API node, a worker, or both (its role).
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import express from "express";
import { createApp } from "./api/app";
import { contenderProblems } from "./arena/contenders";
import { systemRoutes } from "./api/routes/system";
import { GenerationService } from "./api/generation-service";
import type { Config } from "./config";
import { generate, ModelPool } from "./engine";
import { InProcessQueue } from "./jobs/in-process-queue";
import { recoverJobs } from "./jobs/recovery";
import { RedisEventBus } from "./jobs/redis/event-bus";
import { RedisJobQueue } from "./jobs/redis/queue";
import { RedisWorkerPool } from "./jobs/redis/worker-pool";
import { failStalled, prepareRetry } from "./jobs/retry";
import type { JobQueue, JobRunner } from "./jobs/types";
import { runBatch, type WorkerContext } from "./jobs/worker";
import { createLogger, type Logger } from "./observability/logger";
import { createMetrics } from "./observability/metrics";
import { openContentCredentials, type ContentCredentials } from "./provenance";
import {
  AzureContentSafetyCheck,
  ContentSafetyClient,
  contentSafetyAuth,
  createSafetyCheck,
  loadImageChecker,
  loadPromptFilter,
  type ImageChecker,
} from "./safety";
import { StorageHealth } from "./store";
import { openConfiguredStore } from "./store/open";
import { loadTlsFiles } from "./tls";

export interface RunningServer {
  url: string;
  port: number;
  /** Resolves when the default model is loaded and warmed and the image filter is ready. */
  ready: Promise<void>;
  queue: JobQueue;
  /** This process's workers on the shared queue (role worker or all with Redis). */
  workers?: RedisWorkerPool;
  logger: Logger;
  close(graceMs?: number): Promise<void>;
}

const DAY_MS = 86_400_000;

export async function startServer(
  config: Config,
  options: { logger?: Logger } = {}
): Promise<RunningServer> {
  const metrics = createMetrics();
  const logger =
    options.logger ??
    createLogger(config.logLevel, { onDrop: () => metrics.logLinesDropped.inc() });
  // Throws a StorageError naming the directory and the cause when it cannot be written.
  const store = await openConfiguredStore(config);
  const role = config.role;
  const serveApi = role !== "worker";
  const runJobs = role !== "api";

  const purge = async () => {
    try {
      const removed = await store.purgeOlderThan(config.retentionDays);
      if (removed)
        logger.info({ removed, retentionDays: config.retentionDays }, "purged old generations");
    } catch (err) {
      // A disk that cannot be written today is no reason to stop serving; tomorrow's purge catches up.
      logger.error({ err }, "purging old generations failed");
    }
  };
  if (serveApi) await purge();
  const purgeTimer = setInterval(() => void (serveApi && purge()), DAY_MS).unref();

  const pool = new ModelPool(
    {
      device: config.device,
      threads: config.threads,
      decoder: config.decoder,
      log: (message) => logger.warn(message),
    },
    config.modelsDir
  );
  if (!pool.has(config.model)) {
    await store.close();
    const names = pool.available().map((m) => m.name);
    throw new Error(
      `model "${config.model}" is not installed (available: ${names.join(", ") || "none"})`
    );
  }
  const problems = contenderProblems({
    declared: config.arenaContenders,
    defaultModel: config.model,
    installed: pool.available().map((m) => m.name),
    allowedModels: config.allowedModels,
  });
  if (problems.length) {
    await store.close();
    throw new Error(problems.join("; "));
  }
  let contentCredentials: ContentCredentials;
  try {
    contentCredentials = await openContentCredentials(config);
    if (contentCredentials.credentials.development) {
      logger.warn(
        { certificate: `${config.dataDir}/c2pa/dev-signer-chain.pem` },
        "Content Credentials are signed with a development certificate: validators show them as untrusted. Set LUMEN_C2PA_KEY and LUMEN_C2PA_CERT (docs/ADMIN.md)"
      );
    }
  } catch (e) {
    await store.close();
    throw e;
  }
  const storage = new StorageHealth(
    store.dirs,
    2000,
    (problem) =>
      problem
        ? logger.error(
            { problem: problem.message },
            "the data directory or image storage cannot be written: not ready"
          )
        : logger.info("the data directory and image storage can be written again"),
    store.blobs.probe?.bind(store.blobs)
  ).start();
  const promptFilter = loadPromptFilter();
  const imageChecker = loadImageChecker();
  // Jobs wait for the image filter rather than failing while it loads.
  const checker: ImageChecker = {
    checkImage: async (image, level) => (await imageChecker).checkImage(image, level),
  };
  const safety = createSafetyCheck({
    promptFilter,
    imageChecker: checker,
    provider:
      config.safetyProvider === "azure"
        ? {
            name: "azure",
            failureMode: config.safetyFailureMode,
            check: new AzureContentSafetyCheck(
              new ContentSafetyClient({
                endpoint: config.azureContentSafetyEndpoint!,
                auth: await contentSafetyAuth({
                  key: config.azureContentSafetyKey,
                  tenantId: config.azureContentSafetyTenantId,
                  clientId: config.azureContentSafetyClientId,
                  clientSecret: config.azureContentSafetyClientSecret,
                }),
                apiVersion: config.azureContentSafetyApiVersion,
                timeoutMs: config.azureContentSafetyTimeoutMs,
                maxRetries: config.azureContentSafetyRetries,
              }),
              {
                thresholds: config.azureContentSafetyThresholds,
                blocklists: config.azureContentSafetyBlocklists,
                haltOnBlocklistHit: config.azureContentSafetyHaltOnBlocklistHit,
              }
            ),
          }
        : undefined,
    onProviderFailure: ({ provider, kind, error, failureMode }) => {
      const outcome = failureMode === "closed" ? "failed_closed" : "builtin_only";
      metrics.safetyProviderFailures.inc({ provider, kind, outcome });
      logger.warn({ err: error, provider, kind, outcome }, "safety provider gave no verdict");
    },
  });
  if (config.safetyProvider === "azure") {
    logger.info(
      { endpoint: config.azureContentSafetyEndpoint, failureMode: config.safetyFailureMode },
      "Azure AI Content Safety checks prompts and images after the built-in filters"
    );
  }

  const ctx: WorkerContext = {
    getModel: (name) => pool.get(name),
    imageChecker: safety,
    safetyLevel: config.safetyLevel,
    store,
    metrics,
    logger,
    jobTimeoutMs: config.jobTimeoutMs,
    // Not ready at once; the probe then says which directory and why (or that it was passing).
    onStorageError: (err) => {
      storage.report({ message: err.message, reason: err.reason });
      void storage.check();
    },
    contentCredentials,
  };
  const runner: JobRunner = {
    run: (batch) => runBatch(batch, ctx),
    cancelledWhileWaiting: (job, eventSeq) => store.setStatus(job.id, "cancelled", { eventSeq }),
  };
  let queue: JobQueue;
  let workers: RedisWorkerPool | undefined;
  const buses: RedisEventBus[] = [];
  if (!config.redisUrl) {
    queue = new InProcessQueue(runner, {
      maxQueue: config.maxQueue,
      concurrency: config.concurrency,
      maxBatchImages: config.maxBatchImages,
      onError: (err) => logger.error({ err }, "generation batch failed"),
    });
  } else {
    const onError = (err: unknown) => logger.error({ err }, "the shared queue failed");
    const bus = new RedisEventBus({ url: config.redisUrl, prefix: config.redisPrefix, onError });
    buses.push(bus);
    await bus.ready;
    queue = new RedisJobQueue({
      url: config.redisUrl,
      prefix: config.redisPrefix,
      maxQueue: config.maxQueue,
      bus,
      cancelledWhileWaiting: runner.cancelledWhileWaiting,
    });
    if (runJobs) {
      const models = config.workerModels.length ? config.workerModels : [config.model];
      const missing = models.filter((m) => !pool.has(m));
      if (missing.length) throw new Error(`worker models not installed: ${missing.join(", ")}`);
      workers = new RedisWorkerPool({
        url: config.redisUrl,
        prefix: config.redisPrefix,
        models,
        concurrency: config.concurrency,
        maxBatchImages: config.maxBatchImages,
        runner,
        bus,
        device: config.device,
        lockMs: config.jobLockMs,
        prepareRetry: (job) => prepareRetry(job, store, bus),
        onStalledOut: (job) => failStalled(job, store, bus),
        onError: (err) => logger.warn({ err }, "worker: the shared queue failed"),
      });
    }
  }
  const service = new GenerationService({
    config,
    pool,
    safety,
    store,
    queue,
    metrics,
    onModelError: (model, err) => logger.error({ err, model }, "model failed to load"),
    storageProblem: () => storage.problem?.message,
  });

  // Work that was in flight when the last process ended: queued again, or ended as failed. With
  // Redis the jobs outlive any one process, and BullMQ's stalled-job check does this instead.
  const recovered = config.redisUrl
    ? { requeued: [], completed: [], failed: [] }
    : await recoverJobs({ store, queue, hasModel: (name) => pool.has(name), logger });
  if (recovered.requeued.length + recovered.completed.length + recovered.failed.length) {
    logger.info(
      {
        requeued: recovered.requeued.length,
        completed: recovered.completed.length,
        failed: recovered.failed.length,
      },
      "recovered generations interrupted by a restart"
    );
  }

  let readiness = { ready: false, detail: `loading model ${config.model}` };
  const ready = (async () => {
    const started = performance.now();
    const model = await pool.get(config.model);
    if (runJobs) {
      readiness = { ready: false, detail: "warming up" };
      await generate(model, {
        prompt: "warm-up",
        seed: 0,
        steps: 1,
        width: model.defaults.width,
        height: model.defaults.height,
      });
      readiness = { ready: false, detail: "loading the image safety filter" };
      await imageChecker;
    }
    // A worker takes jobs once it can run them.
    workers?.start();
    readiness = {
      ready: true,
      detail: `${role === "all" ? "" : `${role}: `}model ${model.name} on ${model.provider}`,
    };
    logger.info(
      { model: model.name, provider: model.provider, ms: Math.round(performance.now() - started) },
      "ready"
    );
  })();
  ready.catch((err) => {
    readiness = {
      ready: false,
      detail: `start-up failed: ${String(err?.message ?? err).split("\n")[0]}`,
    };
    logger.error({ err }, "start-up failed");
  });

  const readyNow = () => {
    const problem = storage.problem;
    if (problem && readiness.ready)
      return {
        ready: false,
        detail: `${store.blobs.probe ? "the data directory or image storage" : "the data directory"} cannot be written: ${problem.message}`,
        status: "storage_unavailable",
      };
    return readiness;
  };
  let url = "";
  const app = serveApi
    ? createApp({
        config,
        logger,
        metrics,
        pool,
        store,
        queue,
        service,
        contentCredentials,
        ready: readyNow,
        selfUrl: () => url,
        workers: () => (queue instanceof RedisJobQueue ? queue.workers() : Promise.resolve([])),
      })
    : workerApp(config, pool, metrics, readyNow, () => queue.depth());
  // requestTimeout bounds the time to *receive* a request (headers and body), not the answer:
  // event streams and the OpenAI route stay open while a job runs. Expired requests get 408 and
  // are closed; connections are checked every second rather than Node's default 30.
  const httpOptions = {
    maxHeaderSize: config.maxHeaderSize,
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: Math.min(30_000, config.requestTimeoutMs),
    connectionsCheckingInterval: 1000,
  };
  let server: Server;
  if (config.http) {
    server = createHttpServer(httpOptions, app);
  } else {
    const tls = await loadTlsFiles(config);
    if (tls.hint) logger.warn(tls.hint);
    server = createHttpsServer({ cert: tls.cert, key: tls.key, ...httpOptions }, app);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `${config.http ? "http" : "https"}://${config.host === "0.0.0.0" ? "localhost" : config.host}:${port}`;
  logger.info({ url }, "listening");

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      logger.info("shutting down");
      const stopped = new Promise((resolve) => server.close(resolve));
      server.closeIdleConnections();
      // A worker finishes (or, after the grace time, stops) its batches; API nodes hold no jobs.
      await workers?.close(graceMs);
      await queue.close(graceMs);
      for (const bus of buses) await bus.close();
      // One turn of the event loop lets requests that were waiting for a job (the OpenAI route)
      // send their answer before the connections go.
      await new Promise((resolve) => setImmediate(resolve));
      server.closeAllConnections();
      await stopped;
      await ready.catch(() => undefined);
      clearInterval(purgeTimer);
      storage.stop();
      await store.close();
      await store.blobs.close?.();
      await pool.close();
    })());

  return { url, port, ready, queue, workers, logger, close };
}

/** A worker's HTTP side: health, readiness and metrics for its supervisor and Prometheus. */
function workerApp(
  config: Config,
  pool: ModelPool,
  metrics: ReturnType<typeof createMetrics>,
  ready: () => { ready: boolean; detail: string; status?: string },
  queueDepth: () => Promise<{ waiting: number; running: number }>
) {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    systemRoutes({
      pool,
      defaultModel: config.model,
      allowedModels: config.allowedModels,
      metrics,
      ready,
      queueDepth,
    })
  );
  return app;
}
