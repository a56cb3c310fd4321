// Runs a micro-batch of compatible jobs: engine → image safety → provenance + encode → store,
// reporting events as it goes. Queue implementations decide *which* jobs run; this decides *how*.
import sharp from "sharp";
import type { GenerationEvent } from "../../contract";
import {
  CancelledError,
  decodePicture,
  generateBatch,
  resolveRequest,
  stepsToRun,
  type BatchItem,
  type LoadedModel,
  type RgbImage,
} from "../engine";
import type { Metrics } from "../observability/metrics";
import type { Logger } from "../observability/logger";
import { encodeWithProvenance, generationInfo, type ContentCredentials } from "../provenance";
import { SafetyUnavailableError, type PolicyLevel, type SafetyCheck } from "../safety";
import { promptHash, StorageError, type Store } from "../store";
import { doneEvent, isTerminal, type RunningJob } from "./types";

export interface WorkerContext {
  getModel(name: string): Promise<LoadedModel>;
  imageChecker: Pick<SafetyCheck, "checkImage">;
  safetyLevel: PolicyLevel;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  jobTimeoutMs: number;
  /** A write to the data directory failed: readiness should say so until it can be written again. */
  onStorageError?(error: StorageError): void;
  /** Signs a C2PA manifest into every stored image. */
  contentCredentials?: ContentCredentials;
}

/** What a client is told when a job fails; the log has the details under the job's request id. */
const FAILURES = {
  storage: {
    code: "storage_unavailable",
    error: "images could not be stored",
    message: "the server cannot store images right now; try again later",
  },
  safety: {
    code: "safety_unavailable",
    error: "safety service unavailable",
    message: "safety service unavailable; the images were not delivered",
  },
  other: {
    code: "internal_error",
    error: "generation failed",
    message: "generation failed; the server log has details",
  },
} as const;

const PREVIEW_MAX_SIDE = 32;

/**
 * Latent previews are 1/8 of the image size; we shrink them further to at most 32 px, which shows
 * composition and colour but no detail, and never send the last step's, which is the image itself.
 * Under the strict policy no previews are sent at all.
 */
async function previewUrls(images: RgbImage[]): Promise<string[]> {
  return Promise.all(
    images.map(async (img) => {
      const scale = Math.min(1, PREVIEW_MAX_SIDE / Math.max(img.width, img.height));
      const png = await sharp(Buffer.from(img.pixels), {
        raw: { width: img.width, height: img.height, channels: 3 },
      })
        .resize(
          Math.max(1, Math.round(img.width * scale)),
          Math.max(1, Math.round(img.height * scale))
        )
        .png()
        .toBuffer();
      return `data:image/png;base64,${png.toString("base64")}`;
    })
  );
}

/**
 * Runs a batch and guarantees every job ends with a terminal event and a final status, even when
 * the model fails to load or a stage throws.
 */
export async function runBatch(batch: RunningJob[], ctx: WorkerContext): Promise<void> {
  const finished = new Set<string>();
  const tracked = batch.map((b) => ({
    ...b,
    emit: (event: GenerationEvent) => {
      if (isTerminal(event)) finished.add(b.job.id);
      return b.emit(event);
    },
  }));
  // A plain timer, not AbortSignal.timeout(): inside AbortSignal.any() that signal is held only weakly
  // and can be garbage-collected before it fires (seen: a 2048² job with a 1 s limit ran to the end).
  // The limit counts from the start of the batch, loading a cold model included.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), ctx.jobTimeoutMs);
  try {
    await generateAndDeliver(tracked, ctx, deadline.signal);
  } catch (err) {
    ctx.logger.error(
      { err, jobs: batch.map((b) => b.job.id), reqIds: batch.map((b) => b.job.requestId) },
      "generation failed"
    );
    // Images the safety provider could not check are never delivered (the policy fails closed).
    const failure =
      err instanceof StorageError
        ? FAILURES.storage
        : err instanceof SafetyUnavailableError
          ? FAILURES.safety
          : FAILURES.other;
    if (err instanceof StorageError) ctx.onStorageError?.(err);
    for (const b of tracked) {
      if (finished.has(b.job.id)) continue;
      try {
        // "failed" also removes what the job stored so far: no partial result is kept.
        await ctx.store.setStatus(b.job.id, "failed", {
          error: failure.error,
          errorCode: failure.code,
          eventSeq: b.nextSeq(),
        });
      } catch (e) {
        // The database cannot be written either: the row stays unfinished and the next start recovers it.
        ctx.logger.error({ err: e, generation: b.job.id }, "could not record the failure");
      }
      ctx.metrics.generations.inc({ status: "failed" });
      b.emit({ type: "error", code: failure.code, message: failure.message });
    }
  } finally {
    clearTimeout(timer);
  }
}

async function generateAndDeliver(
  batch: RunningJob[],
  ctx: WorkerContext,
  deadline: AbortSignal
): Promise<void> {
  const { store, metrics } = ctx;
  const model = await ctx.getModel(batch[0].job.model);
  const signals = batch.map((b) => AbortSignal.any([b.signal, deadline]));
  const withPreviews = ctx.safetyLevel !== "strict";
  metrics.batchSize.observe(batch.length);

  // Starting pictures were checked when the request came in; here they only become pixels again.
  const pictures = await Promise.all(
    batch.map(async (b) =>
      b.job.source
        ? (await decodePicture(Buffer.from(b.job.source.data, "base64"))).image
        : undefined
    )
  );
  const requests = batch.map((b, j) => ({
    ...b.job.request,
    ...(pictures[j] ? { image: pictures[j] } : {}),
  }));
  // The service resolved each request already; resolving the job's with its picture again costs
  // nothing and covers jobs that an older version stored unresolved.
  const resolved = requests.map((r) => resolveRequest(model, r));
  for (const [j, b] of batch.entries()) {
    await store.setStatus(b.job.id, "running");
    metrics.stageDuration.observe({ stage: "queue_wait" }, (Date.now() - b.job.enqueuedAt) / 1000);
    // n counts the images an earlier run stored too (a job resumed after a restart).
    const n = (b.job.firstIndex ?? 0) + (b.job.request.n ?? 1);
    b.emit({ type: "started", steps: stepsToRun(resolved[j]), n });
  }

  // Preview encoding is async; chaining keeps each job's events in order.
  const chains = batch.map(() => Promise.resolve());
  const items: BatchItem[] = batch.map((b, j) => ({
    request: requests[j],
    signal: signals[j],
    onStep: ({ step, steps, preview }) => {
      const images = withPreviews && step < steps ? preview() : [];
      chains[j] = chains[j].then(async () => {
        const previews = images.length ? await previewUrls(images) : undefined;
        b.emit({ type: "step", step, steps, ...(previews ? { previews } : {}) });
      });
    },
  }));

  let results;
  try {
    results = await generateBatch(model, items);
    await Promise.all(chains);
  } catch (e) {
    await Promise.all(chains).catch(() => undefined);
    const cancelled = e instanceof CancelledError;
    if (!cancelled) throw e;
    for (const [j, b] of batch.entries()) await finishStopped(b, ctx, signals[j]);
    return;
  }
  const t = results[0].timings;
  for (const stage of ["text_encoder", "unet", "vae_decoder"]) {
    metrics.stageDuration.observe({ stage }, t.total(stage) / 1000);
  }

  for (const [j, b] of batch.entries()) {
    const result = results[j];
    // Checked here, not only through result.cancelled: the limit is hard, so a job whose last step or
    // decode ran past it is stopped too, not delivered late.
    if (signals[j].aborted) {
      await finishStopped(b, ctx, signals[j]);
      continue;
    }
    const first = b.job.firstIndex ?? 0;
    // Images an earlier run delivered before a restart count towards "done" too.
    let delivered =
      first > 0
        ? ((await store.getGeneration(b.job.id))?.images.filter((i) => !i.blocked).length ?? 0)
        : 0;
    let lastCategory: string | undefined;
    for (const [k, image] of result.images.entries()) {
      const index = first + k;
      const imageId = `${b.job.id}-${index}`;
      const seed = result.seeds[k];
      const safetyStart = performance.now();
      const verdict = await ctx.imageChecker.checkImage(image, ctx.safetyLevel);
      metrics.stageDuration.observe(
        { stage: "image_safety" },
        (performance.now() - safetyStart) / 1000
      );
      if (!verdict.allowed) {
        const category = verdict.category ?? "sexual";
        lastCategory = category;
        const { width, height } = b.job.output;
        await store.addBlockedImage({
          id: imageId,
          generationId: b.job.id,
          index,
          seed,
          category,
          width,
          height,
          eventSeq: b.nextSeq(),
        });
        await store.addAudit({
          clientId: b.job.clientId,
          kind: "image",
          category,
          promptHash: promptHash(b.job.userPrompt),
          prompt: null,
          generationId: b.job.id,
          provider: verdict.provider,
          reason: verdict.detail,
        });
        metrics.safetyBlocks.inc({
          kind: "image",
          category,
          provider: verdict.provider ?? "builtin",
        });
        b.emit({
          type: "blocked",
          category,
          index,
          message: verdict.reason ?? "This image was withheld by the content filter.",
        });
        continue;
      }
      const encodeStart = performance.now();
      const info = generationInfo(model, resolved[j], {
        seed,
        width: b.job.output.width,
        height: b.job.output.height,
      });
      const png = await encodeWithProvenance(image, info, {
        format: "png",
        width: b.job.output.width,
        height: b.job.output.height,
        contentCredentials: ctx.contentCredentials,
        title: `${imageId}.png`,
        // Made from a picture: c2pa.edited, with the picture (and any manifest it carries) as ingredient.
        ...(b.job.source
          ? {
              source: {
                bytes: Buffer.from(b.job.source.data, "base64"),
                format: b.job.source.format,
                title: `${b.job.id}-source.${b.job.source.format === "jpeg" ? "jpg" : b.job.source.format}`,
              },
            }
          : {}),
      });
      metrics.stageDuration.observe({ stage: "encode" }, (performance.now() - encodeStart) / 1000);
      // Stored, then announced with the id kept in its row: a client never sees an image it cannot fetch.
      await store.addImage({
        id: imageId,
        generationId: b.job.id,
        index,
        seed,
        width: b.job.output.width,
        height: b.job.output.height,
        png,
        eventSeq: b.nextSeq(),
      });
      delivered++;
      metrics.imagesGenerated.inc({ model: model.name });
      b.emit({
        type: "image",
        id: imageId,
        index,
        seed,
        url: `/api/images/${imageId}.png`,
        width: b.job.output.width,
        height: b.job.output.height,
      });
    }
    const status = delivered === 0 && lastCategory ? "blocked" : "done";
    await store.setStatus(b.job.id, status, {
      ...(status === "blocked" ? { category: lastCategory } : {}),
      eventSeq: b.nextSeq(),
    });
    metrics.generations.inc({ status });
    ctx.logger.info(
      {
        reqId: b.job.requestId,
        generation: b.job.id,
        status,
        images: delivered,
        blocked: result.images.length - delivered,
        batch: batch.length,
      },
      "generation finished"
    );
    b.emit(doneEvent(b.job, status));
  }
}

/** A job stopped between steps: by its user (cancelled) or by the per-job timeout (an error). */
async function finishStopped(
  b: RunningJob,
  ctx: WorkerContext,
  signal: AbortSignal
): Promise<void> {
  const timedOut = !b.signal.aborted && signal.aborted;
  if (!timedOut) {
    await ctx.store.setStatus(b.job.id, "cancelled", { eventSeq: b.nextSeq() });
    ctx.metrics.generations.inc({ status: "cancelled" });
    b.emit(doneEvent(b.job, "cancelled"));
    return;
  }
  const message = `generation took longer than ${ctx.jobTimeoutMs} ms and was stopped`;
  await ctx.store.setStatus(b.job.id, "failed", {
    error: message,
    errorCode: "timeout",
    eventSeq: b.nextSeq(),
  });
  ctx.metrics.generations.inc({ status: "failed" });
  b.emit({ type: "error", code: "timeout", message });
}
