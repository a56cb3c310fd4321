// Turns a validated request into a queued job: model and size resolution, style presets, the
// prompt filter, the history row. Shared by /api/generations and the OpenAI-compatible route.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Config } from "../config";
import {
  batchKey,
  DEFAULT_STRENGTH,
  RequestError,
  randomSeed,
  resolveRequest,
  unknownWordsNotice,
  type LoadedModel,
  type ModelPool,
  type ResolvedRequest,
  type SchedulerName,
} from "../engine";
import {
  QueueClosedError,
  QueueFullError,
  QueueUnavailableError,
  type GenerationJob,
  type JobQueue,
} from "../jobs/types";
import type { Metrics } from "../observability/metrics";
import { SafetyUnavailableError, type SafetyCheck, type SafetyDecision } from "../safety";
import { promptHash, type Owner, type Store } from "../store";
import type { Notice, ParsedGenerationRequest } from "../../contract";
import { ApiError } from "./errors";
import { pictureFromDataUrl, type Picture } from "./pictures";

interface StylePreset {
  label: string;
  suffix: string;
  negative: string;
}
export const stylePresets: Record<string, StylePreset> = JSON.parse(
  readFileSync(new URL("./styles.json", import.meta.url), "utf8")
);

/** Width ÷ height of each aspect the task pane offers. */
const ASPECT_RATIOS = { square: 1, landscape: 4 / 3, wide: 16 / 9, portrait: 3 / 4 } as const;

/** Default delivered size: a model's own size, or 512 px for small models whose output is upscaled. */
export function baseSize(model: LoadedModel): number {
  return model.nativeSize ? Math.max(512, model.defaults.width) : model.defaults.width;
}

/** A size of about base² pixels with the aspect's ratio (or a width ÷ height), in multiples the model accepts. */
export function sizeForAspect(
  aspect: keyof typeof ASPECT_RATIOS | number,
  base: number,
  multiple: number
): [number, number] {
  const ratio =
    typeof aspect === "number" ? Math.min(4, Math.max(1 / 4, aspect)) : ASPECT_RATIOS[aspect];
  const round = (v: number) => Math.max(multiple, Math.round(v / multiple) * multiple);
  const width = ratio >= 1 ? base : base * ratio;
  const height = ratio >= 1 ? base / ratio : base;
  return [round(width), round(height)];
}

/** What the user should know about a prompt for this model: the words it cannot read. */
export function promptNotices(model: LoadedModel, prompt: string): Notice[] {
  const notice = unknownWordsNotice(model, prompt);
  return notice ? [{ code: "unknown_words", ...notice }] : [];
}

export interface ServiceDeps {
  config: Config;
  pool: ModelPool;
  /** The prompt check, and the image check that starting pictures pass (without it, pictures are refused). */
  safety: Pick<SafetyCheck, "checkPrompt"> & Partial<Pick<SafetyCheck, "checkImage">>;
  store: Store;
  queue: JobQueue;
  metrics: Metrics;
  onModelError?: (model: string, error: unknown) => void;
  /** Why the data directory cannot be written right now, if it cannot. */
  storageProblem?: () => string | undefined;
}

/** Who asked, for the history row, the rate limit's audit trail and ownership. */
export interface Requester {
  clientId: string;
  /** The signed-in user and tenant; undefined when sign-in is off. */
  owner?: Owner;
  requestId: string;
  /** "openai" when the request waits for the result itself (see GenerationJob.origin). */
  origin?: GenerationJob["origin"];
}

/** Seconds a client should wait before trying again when images cannot be stored. */
export const STORAGE_RETRY_SECONDS = 30;
/** Retry-After for safety_unavailable: the safety service is down or slow. */
export const SAFETY_RETRY_SECONDS = 30;

export class GenerationService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * Refuses an unsafe prompt: an audit row, a metric, and a 400 with the category; a 503 when the
   * safety provider is down and the policy fails closed.
   */
  async checkPrompt(prompt: string, clientId: string): Promise<void> {
    const { config, safety } = this.deps;
    await this.enforce("prompt", () => safety.checkPrompt(prompt, config.safetyLevel), {
      clientId,
      prompt,
    });
  }

  /**
   * The notices of a finished generation whose events are no longer held, from its stored prompt;
   * none when prompts are not stored or the model is gone.
   */
  async storedNotices(modelName: string, prompt: string | null): Promise<Notice[]> {
    if (prompt === null || !this.deps.pool.has(modelName)) return [];
    try {
      return promptNotices(await this.deps.pool.get(modelName), prompt);
    } catch {
      return [];
    }
  }

  /**
   * Starting pictures are refused by the image check as generated images are: audited, counted,
   * and answered with content_policy_violation.
   */
  async checkPicture(picture: Picture, clientId: string, prompt: string): Promise<void> {
    const { config, safety } = this.deps;
    if (!safety.checkImage)
      throw new ApiError("invalid_request", "this server does not take pictures to start from", {
        param: "image",
      });
    await this.enforce("image", () => safety.checkImage!(picture.image, config.safetyLevel), {
      clientId,
      prompt,
      message: "The picture to start from is not allowed by the content policy.",
      param: "image",
    });
  }

  /** One safety verdict enforced: a refusal is audited, counted and answered with its category. */
  private async enforce(
    kind: "prompt" | "image",
    ask: () => Promise<SafetyDecision>,
    refusal: { clientId: string; prompt: string; message?: string; param?: string }
  ): Promise<void> {
    const { config, store, metrics } = this.deps;
    const { clientId, prompt, param } = refusal;
    let verdict: SafetyDecision;
    try {
      verdict = await ask();
    } catch (e) {
      if (e instanceof SafetyUnavailableError) {
        throw new ApiError(
          "safety_unavailable",
          "safety service unavailable; nothing was generated, try again shortly",
          { retryAfterSeconds: SAFETY_RETRY_SECONDS }
        );
      }
      throw e;
    }
    if (verdict.allowed) return;
    const category = verdict.category ?? "sexual";
    await store.addAudit({
      clientId,
      kind,
      category,
      promptHash: promptHash(prompt),
      prompt: config.auditPromptText ? prompt : null,
      provider: verdict.provider,
      reason: verdict.detail,
    });
    metrics.safetyBlocks.inc({ kind, category, provider: verdict.provider ?? "builtin" });
    throw new ApiError(
      "content_policy_violation",
      refusal.message ?? verdict.reason ?? "This prompt is not allowed by the content policy.",
      param ? { category, param } : { category }
    );
  }

  /**
   * `settings` are what the public request carries outside its JSON fields: engine settings it has
   * no field for (the arena's contenders), or a starting picture uploaded as a file.
   */
  async create(
    input: ParsedGenerationRequest,
    requester: Requester,
    settings: { scheduler?: SchedulerName; picture?: Picture } = {}
  ): Promise<{ id: string; position: number; notices: Notice[] }> {
    const { config, pool, store, queue } = this.deps;
    const { clientId, requestId } = requester;
    const modelName = input.model ?? config.model;
    if (!pool.has(modelName)) {
      throw new ApiError(
        "invalid_request",
        `model: unknown model "${modelName}"; see GET /api/models`,
        { param: "model" }
      );
    }
    if (config.allowedModels.length && !config.allowedModels.includes(modelName)) {
      throw new ApiError(
        "forbidden",
        `model: "${modelName}" is not allowed by your organisation's policy`,
        { param: "model" }
      );
    }
    if (input.n > config.maxImagesPerRequest) {
      throw new ApiError(
        "invalid_request",
        `n: your organisation allows at most ${config.maxImagesPerRequest} images per request`,
        { param: "n" }
      );
    }
    await this.checkPrompt(input.prompt, clientId);
    let model: LoadedModel;
    try {
      model = await pool.get(modelName);
    } catch (e) {
      // The reason names files on the server: it goes to the log, not to the client.
      this.deps.onModelError?.(modelName, e);
      throw new ApiError(
        "model_unavailable",
        `model "${modelName}" is unavailable right now; the server log has details`,
        {
          retryAfterSeconds: 30,
        }
      );
    }

    const picture =
      settings.picture ??
      (input.image !== undefined
        ? await pictureFromDataUrl(input.image, config.maxPictureBytes)
        : undefined);
    if (picture && !model.vaeEncoder) {
      throw new ApiError(
        "invalid_request",
        `image: model "${modelName}" cannot start from a picture (it has no vae_encoder)`,
        { param: "image" }
      );
    }
    const multiple = model.family.requestMultiple;
    // From a picture without a size or aspect: the picture's own aspect.
    const [width, height] =
      input.width !== undefined && input.height !== undefined
        ? [input.width, input.height]
        : sizeForAspect(
            input.aspect ?? (picture ? picture.image.width / picture.image.height : "square"),
            Math.min(baseSize(model), config.maxSize),
            multiple
          );
    if (Math.max(width, height) > config.maxSize) {
      throw new ApiError(
        "invalid_request",
        `width/height: your organisation allows at most ${config.maxSize} pixels per side`,
        { param: "width" }
      );
    }
    const style = stylePresets[input.style] ?? stylePresets.none;
    const negative = [input.negativePrompt?.trim(), style.negative].filter(Boolean).join(", ");
    const request = {
      prompt: input.prompt + style.suffix,
      negativePrompt: negative || undefined,
      n: input.n,
      width,
      height,
      steps: input.steps,
      guidance: input.guidance,
      seed: input.seed ?? randomSeed(),
      ...(settings.scheduler ? { scheduler: settings.scheduler } : {}),
      ...(picture ? { strength: input.strength ?? DEFAULT_STRENGTH } : {}),
    };
    let key: string;
    let resolved: ResolvedRequest;
    try {
      const withPicture = picture ? { ...request, image: picture.image } : request;
      // Defaults are filled in here, once: the job, the history and the images' provenance all
      // carry the settings the engine runs.
      resolved = resolveRequest(model, withPicture);
      key = batchKey(model, withPicture);
    } catch (e) {
      if (e instanceof RequestError) throw new ApiError("invalid_request", e.message);
      throw e;
    }

    const depth = await queue.depth();
    if (depth.waiting >= config.maxQueue) {
      throw new ApiError("queue_full", "the generation queue is full; try again shortly", {
        retryAfterSeconds: await queue.retryAfterSeconds(),
      });
    }
    // Refused before any work: its images could not be kept (the cause is in /readyz and the log).
    if (this.deps.storageProblem?.()) {
      throw new ApiError(
        "storage_unavailable",
        "the server cannot store images right now; try again later",
        {
          retryAfterSeconds: STORAGE_RETRY_SECONDS,
        }
      );
    }
    if (picture) await this.checkPicture(picture, clientId, input.prompt);
    const notices = promptNotices(model, input.prompt);
    const id = randomUUID();
    const job: GenerationJob = {
      id,
      clientId,
      requestId,
      model: modelName,
      request: resolved,
      output: { width, height },
      userPrompt: input.prompt,
      enqueuedAt: Date.now(),
      batchKey: key,
      ...(picture
        ? { source: { data: picture.bytes.toString("base64"), format: picture.format } }
        : {}),
      ...(notices.length ? { notices } : {}),
      origin: requester.origin ?? "api",
    };
    await store.createGeneration({
      id,
      clientId,
      owner: requester.owner,
      // Kept while unfinished so a restart can queue it again; it holds the prompt, so only when prompts may be stored.
      job: config.storePrompts ? job : undefined,
      prompt: config.storePrompts ? input.prompt : null,
      promptHash: promptHash(input.prompt),
      negativePrompt: config.storePrompts ? (input.negativePrompt ?? null) : null,
      params: {
        n: input.n,
        width,
        height,
        steps: resolved.steps,
        guidance: resolved.guidance,
        seed: request.seed,
        ...(settings.scheduler ? { scheduler: settings.scheduler } : {}),
        ...(picture ? { strength: request.strength, source: picture.format } : {}),
        style: input.style,
        aspect: input.aspect ?? null,
      },
      model: modelName,
    });
    try {
      const { position } = await queue.submit(job);
      return { id, position, notices };
    } catch (e) {
      if (e instanceof QueueFullError) {
        await store.setStatus(id, "failed", { error: "queue full", errorCode: "queue_full" });
        throw new ApiError("queue_full", e.message, { retryAfterSeconds: e.retryAfterSeconds });
      }
      if (e instanceof QueueUnavailableError) {
        // Nothing was queued: the history must not show it waiting for ever. The 503 comes from the error handler.
        await store.setStatus(id, "failed", {
          error: "the job queue could not be reached",
          errorCode: "queue_unavailable",
        });
        throw e;
      }
      if (e instanceof QueueClosedError) {
        await store.setStatus(id, "failed", {
          error: "the server was shutting down",
          errorCode: "interrupted",
        });
        throw new ApiError("not_ready", "the server is shutting down; try again shortly", {
          retryAfterSeconds: 5,
        });
      }
      throw e;
    }
  }
}
