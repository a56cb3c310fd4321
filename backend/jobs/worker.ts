// Runs a micro-batch of compatible jobs: engine → image safety → provenance + encode → store,
// reporting events as it goes. Queue implementations decide *which* jobs run; this decides *how*.
import sharp from "sharp";
import type { GenerationEvent } from "../api/contract";
import { CancelledError, generateBatch, type BatchItem, type LoadedModel, type RgbImage } from "../engine";
import type { Metrics } from "../observability/metrics";
import type { Logger } from "../observability/logger";
import { encodeWithProvenance, type GenerationInfo } from "../provenance";
import type { ImageChecker, PolicyLevel } from "../safety";
import { promptHash, type Store } from "../store";
import { doneEvent, isTerminal, type GenerationJob, type RunningJob } from "./types";

export interface WorkerContext {
  getModel(name: string): Promise<LoadedModel>;
  imageChecker: ImageChecker;
  safetyLevel: PolicyLevel;
  store: Store;
  metrics: Metrics;
  logger: Logger;
  jobTimeoutMs: number;
}

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
      const png = await sharp(Buffer.from(img.pixels), { raw: { width: img.width, height: img.height, channels: 3 } })
        .resize(Math.max(1, Math.round(img.width * scale)), Math.max(1, Math.round(img.height * scale)))
        .png()
        .toBuffer();
      return `data:image/png;base64,${png.toString("base64")}`;
    }),
  );
}

function provenanceInfo(job: GenerationJob, model: LoadedModel, seed: number): GenerationInfo {
  const r = job.request;
  return {
    prompt: r.prompt,
    negativePrompt: r.negativePrompt ?? "",
    steps: r.steps ?? model.defaults.steps,
    sampler: r.scheduler ?? model.defaults.scheduler,
    guidance: r.guidance ?? model.defaults.guidance,
    seed,
    width: job.output.width,
    height: job.output.height,
    model: model.name,
  };
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
      b.emit(event);
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
    ctx.logger.error({ err, jobs: batch.map((b) => b.job.id), reqIds: batch.map((b) => b.job.requestId) }, "generation failed");
    for (const b of tracked) {
      if (finished.has(b.job.id)) continue;
      ctx.store.setStatus(b.job.id, "failed", { error: "generation failed" });
      ctx.metrics.generations.inc({ status: "failed" });
      b.emit({ type: "error", code: "internal_error", message: "generation failed; the server log has details" });
    }
  } finally {
    clearTimeout(timer);
  }
}

async function generateAndDeliver(batch: RunningJob[], ctx: WorkerContext, deadline: AbortSignal): Promise<void> {
  const { store, metrics } = ctx;
  const model = await ctx.getModel(batch[0].job.model);
  const signals = batch.map((b) => AbortSignal.any([b.signal, deadline]));
  const withPreviews = ctx.safetyLevel !== "strict";
  metrics.batchSize.observe(batch.length);

  for (const b of batch) {
    store.setStatus(b.job.id, "running");
    metrics.stageDuration.observe({ stage: "queue_wait" }, (Date.now() - b.job.enqueuedAt) / 1000);
    b.emit({ type: "started", steps: b.job.request.steps ?? model.defaults.steps, n: b.job.request.n ?? 1 });
  }

  // Preview encoding is async; chaining keeps each job's events in order.
  const chains = batch.map(() => Promise.resolve());
  const items: BatchItem[] = batch.map((b, j) => ({
    request: b.job.request,
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
    for (const [j, b] of batch.entries()) finishStopped(b, ctx, signals[j]);
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
      finishStopped(b, ctx, signals[j]);
      continue;
    }
    let delivered = 0;
    let lastCategory: string | undefined;
    for (const [k, image] of result.images.entries()) {
      const imageId = `${b.job.id}-${k}`;
      const seed = result.seeds[k];
      const safetyStart = performance.now();
      const verdict = await ctx.imageChecker.checkImage(image, ctx.safetyLevel);
      metrics.stageDuration.observe({ stage: "image_safety" }, (performance.now() - safetyStart) / 1000);
      if (!verdict.allowed) {
        const category = verdict.category ?? "sexual";
        lastCategory = category;
        const { width, height } = b.job.output;
        store.addBlockedImage({ id: imageId, generationId: b.job.id, index: k, seed, category, width, height });
        store.addAudit({
          clientId: b.job.clientId,
          kind: "image",
          category,
          promptHash: promptHash(b.job.userPrompt),
          prompt: null,
          generationId: b.job.id,
        });
        metrics.safetyBlocks.inc({ kind: "image", category });
        b.emit({ type: "blocked", category, index: k, message: verdict.reason ?? "This image was withheld by the content filter." });
        continue;
      }
      const encodeStart = performance.now();
      const png = await encodeWithProvenance(image, provenanceInfo(b.job, model, seed), {
        format: "png",
        width: b.job.output.width,
        height: b.job.output.height,
      });
      metrics.stageDuration.observe({ stage: "encode" }, (performance.now() - encodeStart) / 1000);
      store.addImage({
        id: imageId,
        generationId: b.job.id,
        index: k,
        seed,
        width: b.job.output.width,
        height: b.job.output.height,
        png,
      });
      delivered++;
      metrics.imagesGenerated.inc({ model: model.name });
      b.emit({
        type: "image",
        id: imageId,
        index: k,
        seed,
        url: `/api/images/${imageId}.png`,
        width: b.job.output.width,
        height: b.job.output.height,
      });
    }
    const status = delivered === 0 && lastCategory ? "blocked" : "done";
    store.setStatus(b.job.id, status, lastCategory && status === "blocked" ? { category: lastCategory } : undefined);
    metrics.generations.inc({ status });
    ctx.logger.info(
      { reqId: b.job.requestId, generation: b.job.id, status, images: delivered, blocked: result.images.length - delivered, batch: batch.length },
      "generation finished",
    );
    b.emit(doneEvent(b.job, status));
  }
}

/** A job stopped between steps: by its user (cancelled) or by the per-job timeout (an error). */
function finishStopped(b: RunningJob, ctx: WorkerContext, signal: AbortSignal): void {
  const timedOut = !b.signal.aborted && signal.aborted;
  if (!timedOut) {
    ctx.store.setStatus(b.job.id, "cancelled");
    ctx.metrics.generations.inc({ status: "cancelled" });
    b.emit(doneEvent(b.job, "cancelled"));
    return;
  }
  const message = `generation took longer than ${ctx.jobTimeoutMs} ms and was stopped`;
  ctx.store.setStatus(b.job.id, "failed", { error: message });
  ctx.metrics.generations.inc({ status: "failed" });
  b.emit({ type: "error", code: "timeout", message });
}
