// POST /v1/images/generations in the OpenAI Images API shape, so existing OpenAI clients work
// unchanged against Lumen. It runs through the same queue as /api/generations and waits for it.
import { Router, type Request, type RequestHandler } from "express";
import { readFile } from "node:fs/promises";
import type { JobQueue } from "../../jobs/types";
import type { Owner, Store } from "../../store";
import { OpenAIImageRequest, type GenerationEvent } from "../contract";
import { ApiError } from "../errors";
import { SAFETY_RETRY_SECONDS, STORAGE_RETRY_SECONDS, type GenerationService } from "../generation-service";

/** OpenAI's own model names mean "the server's default model" here. */
const OPENAI_MODEL = /^(dall-e|gpt-image)/;
/** A job stopped by a shutdown or restart: another server (or this one, back) can take it soon. */
const INTERRUPTED_RETRY_SECONDS = 10;

function waitForEnd(queue: JobQueue, id: string): Promise<GenerationEvent[]> {
  return new Promise((resolve) => {
    const events: GenerationEvent[] = [];
    queue.subscribe(id, (event) => {
      events.push(event);
      if (event.type === "done" || event.type === "error") resolve(events);
    });
  });
}

/** The job's error event as this endpoint's answer: what the client may retry is a 503 with Retry-After. */
function failureOf(event: Extract<GenerationEvent, { type: "error" }>): ApiError {
  switch (event.code) {
    case "storage_unavailable":
      return new ApiError("storage_unavailable", event.message, { retryAfterSeconds: STORAGE_RETRY_SECONDS });
    case "interrupted":
      return new ApiError("interrupted", event.message, { retryAfterSeconds: INTERRUPTED_RETRY_SECONDS });
    case "safety_unavailable":
      return new ApiError("safety_unavailable", event.message, { retryAfterSeconds: SAFETY_RETRY_SECONDS });
    default:
      return new ApiError("internal_error", event.message);
  }
}

export function openaiRoutes(deps: {
  service: GenerationService;
  store: Store;
  queue: JobQueue;
  clientId(req: Request): string;
  ownerOf(req: Request): Owner | undefined;
  /** Origin of absolute image URLs (see links.ts). */
  linkOrigin(req: Request): string;
  rateLimit: RequestHandler;
}): Router {
  const router = Router();
  router.post("/v1/images/generations", deps.rateLimit, async (req, res) => {
    const input = OpenAIImageRequest.parse(req.body ?? {});
    const [width, height] = input.size.split("x").map(Number);
    const model = input.model && !OPENAI_MODEL.test(input.model) ? input.model : undefined;
    const clientId = input.user ? `${deps.clientId(req)}:${input.user}` : deps.clientId(req);
    const { id } = await deps.service.create(
      { prompt: input.prompt, n: input.n, width, height, style: "none", model },
      { clientId, owner: deps.ownerOf(req), requestId: String(res.getHeader("x-request-id")), origin: "openai" },
    );

    const ended = waitForEnd(deps.queue, id);
    res.on("close", () => {
      if (!res.writableFinished) void deps.queue.cancel(id);
    });
    const events = await ended;
    const last = events.at(-1)!;
    if (last.type === "error") throw failureOf(last);
    if (last.type === "done" && last.status === "cancelled") {
      // Only a shutdown cancels a job whose client is still waiting.
      throw new ApiError("interrupted", "the server stopped before the image was finished; try again", {
        retryAfterSeconds: INTERRUPTED_RETRY_SECONDS,
      });
    }
    const images = events.filter((e) => e.type === "image");
    const blocked = events.find((e) => e.type === "blocked");
    if (images.length === 0) {
      if (blocked && blocked.type === "blocked") {
        throw new ApiError("content_policy_violation", blocked.message, { category: blocked.category });
      }
      throw new ApiError("internal_error", "no image was generated");
    }
    const origin = deps.linkOrigin(req);
    const data = await Promise.all(
      images.map(async (e) => {
        if (input.response_format === "url") return { url: `${origin}${e.url}` };
        const stored = deps.store.getImage(e.id)!;
        return { b64_json: (await readFile(stored.path)).toString("base64") };
      }),
    );
    res.json({ created: Math.floor(Date.now() / 1000), data, output_format: "png", size: input.size });
  });
  return router;
}
