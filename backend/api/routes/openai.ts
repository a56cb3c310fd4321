// POST /v1/images/generations in the OpenAI Images API shape, so existing OpenAI clients work
// unchanged against Lumen. It runs through the same queue as /api/generations and waits for it.
import { Router, type Request, type RequestHandler } from "express";
import { readFile } from "node:fs/promises";
import type { JobQueue } from "../../jobs/types";
import type { Store } from "../../store";
import { OpenAIImageRequest, type GenerationEvent } from "../contract";
import { ApiError } from "../errors";
import type { GenerationService } from "../generation-service";

/** OpenAI's own model names mean "the server's default model" here. */
const OPENAI_MODEL = /^(dall-e|gpt-image)/;

function waitForEnd(queue: JobQueue, id: string): Promise<GenerationEvent[]> {
  return new Promise((resolve) => {
    const events: GenerationEvent[] = [];
    queue.subscribe(id, (event) => {
      events.push(event);
      if (event.type === "done" || event.type === "error") resolve(events);
    });
  });
}

export function openaiRoutes(deps: {
  service: GenerationService;
  store: Store;
  queue: JobQueue;
  clientId(req: Request): string;
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
      clientId,
      String(res.getHeader("x-request-id")),
    );

    const ended = waitForEnd(deps.queue, id);
    res.on("close", () => {
      if (!res.writableFinished) void deps.queue.cancel(id);
    });
    const events = await ended;
    const failure = events.find((e) => e.type === "error");
    if (failure && failure.type === "error") throw new ApiError("internal_error", failure.message);
    const images = events.filter((e) => e.type === "image");
    const blocked = events.find((e) => e.type === "blocked");
    if (images.length === 0) {
      if (blocked && blocked.type === "blocked") {
        throw new ApiError("content_policy_violation", blocked.message, { category: blocked.category });
      }
      throw new ApiError("internal_error", "no image was generated");
    }
    const origin = `${req.protocol}://${req.get("host")}`;
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
