// POST /v1/images/generations, /v1/images/edits and /v1/images/variations in the OpenAI Images
// API shape, so existing OpenAI clients work unchanged against Lumen. They run through the same
// queue as /api/generations and wait for it. Edits and variations take multipart forms (multer,
// in memory: a picture is at most LUMEN_MAX_PICTURE_BYTES).
import { Router, type Request, type RequestHandler, type Response } from "express";
import multer from "multer";
import type { Config } from "../../config";
import type { JobQueue } from "../../jobs/types";
import type { Owner, Store } from "../../store";
import {
  OpenAIEditRequest,
  OpenAIImageRequest,
  OpenAIVariationRequest,
  type GenerationEvent,
  type ParsedGenerationRequest,
} from "../../../contract";
import { ApiError } from "../errors";
import {
  SAFETY_RETRY_SECONDS,
  STORAGE_RETRY_SECONDS,
  type GenerationService,
} from "../generation-service";
import { readPicture, type Picture } from "../pictures";

/** Variations keep this much of the picture's layout (OpenAI's API has no strength; `strength` overrides it). */
const VARIATION_STRENGTH = 0.7;

/** OpenAI's own model names mean "the server's default model" here. */
const OPENAI_MODEL = /^(dall-e|gpt-image)/;
/** A job stopped by a shutdown or restart: another server (or this one, back) can take it soon. */
const INTERRUPTED_RETRY_SECONDS = 10;

function waitForEnd(queue: JobQueue, id: string): Promise<GenerationEvent[]> {
  return new Promise((resolve, reject) => {
    const events: GenerationEvent[] = [];
    queue
      .subscribe(id, (event) => {
        events.push(event);
        if (event.type === "done" || event.type === "error") resolve(events);
      })
      .catch(reject);
  });
}

/** The job's error event as this endpoint's answer: what the client may retry is a 503 with Retry-After. */
function failureOf(event: Extract<GenerationEvent, { type: "error" }>): ApiError {
  switch (event.code) {
    case "storage_unavailable":
      return new ApiError("storage_unavailable", event.message, {
        retryAfterSeconds: STORAGE_RETRY_SECONDS,
      });
    case "interrupted":
      return new ApiError("interrupted", event.message, {
        retryAfterSeconds: INTERRUPTED_RETRY_SECONDS,
      });
    case "safety_unavailable":
      return new ApiError("safety_unavailable", event.message, {
        retryAfterSeconds: SAFETY_RETRY_SECONDS,
      });
    default:
      return new ApiError("internal_error", event.message);
  }
}

/** multer's limits as this API's errors: 413 for a file over the limit, 400 for the rest. */
function uploads(maxBytes: number): RequestHandler {
  const parse = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 2, fields: 30, fieldSize: 16 * 1024 },
  }).fields([
    { name: "image", maxCount: 1 },
    { name: "image[]", maxCount: 1 },
    { name: "mask", maxCount: 1 },
  ]);
  return (req, res, next) =>
    parse(req, res, (err: unknown) => {
      if (!err) return next();
      if (err instanceof multer.MulterError) {
        const param = err.field ?? null;
        if (err.code === "LIMIT_FILE_SIZE") {
          return next(
            new ApiError(
              "payload_too_large",
              `${param ?? "image"}: the picture is larger than ${(maxBytes / 1024 / 1024).toFixed(1)} MB`,
              { param }
            )
          );
        }
        if (err.code === "LIMIT_UNEXPECTED_FILE" || err.code === "LIMIT_FILE_COUNT") {
          return next(
            new ApiError(
              "invalid_request",
              `${param ?? "file"}: one image (and optionally one mask) per request`,
              { param }
            )
          );
        }
        return next(new ApiError("invalid_request", `multipart form: ${err.message}`, { param }));
      }
      next(new ApiError("invalid_request", `multipart form: ${(err as Error).message}`));
    });
}

type Files = Record<string, Express.Multer.File[] | undefined>;

/** The uploaded picture; OpenAI's newer models send it as `image[]`. */
async function uploadedPicture(req: Request, maxBytes: number): Promise<Picture> {
  if (!req.is("multipart/form-data")) {
    throw new ApiError(
      "invalid_request",
      "send a multipart/form-data body with the picture as the `image` file",
      { param: "image" }
    );
  }
  const files = (req.files ?? {}) as Files;
  const file = files.image?.[0] ?? files["image[]"]?.[0];
  if (!file)
    throw new ApiError("invalid_request", "image: a picture file is required", { param: "image" });
  return readPicture(file.buffer, maxBytes);
}

export function openaiRoutes(deps: {
  config: Config;
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

  /** Runs one generation and answers with its images in OpenAI's shape once they are ready. */
  async function answer(
    req: Request,
    res: Response,
    input: { user?: string; response_format: "b64_json" | "url"; size?: string },
    request: ParsedGenerationRequest,
    picture?: Picture
  ) {
    const clientId = input.user ? `${deps.clientId(req)}:${input.user}` : deps.clientId(req);
    const { id } = await deps.service.create(
      request,
      {
        clientId,
        owner: deps.ownerOf(req),
        requestId: String(res.getHeader("x-request-id")),
        origin: "openai",
      },
      picture ? { picture } : {}
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
      throw new ApiError(
        "interrupted",
        "the server stopped before the image was finished; try again",
        {
          retryAfterSeconds: INTERRUPTED_RETRY_SECONDS,
        }
      );
    }
    const images = events.filter((e) => e.type === "image");
    const blocked = events.find((e) => e.type === "blocked");
    if (images.length === 0) {
      if (blocked && blocked.type === "blocked") {
        throw new ApiError("content_policy_violation", blocked.message, {
          category: blocked.category,
        });
      }
      throw new ApiError("internal_error", "no image was generated");
    }
    const origin = deps.linkOrigin(req);
    const data = await Promise.all(
      images.map(async (e) => {
        if (input.response_format === "url") return { url: `${origin}${e.url}` };
        const stored = (await deps.store.getImage(e.id))!;
        const png = await deps.store.blobs.get(stored.sha256);
        if (!png)
          throw new Error(
            `image ${e.id}: no blob ${stored.sha256} in ${deps.store.blobs.location}`
          );
        return { b64_json: png.toString("base64") };
      })
    );
    const size =
      input.size ??
      (images[0]?.type === "image" ? `${images[0].width}x${images[0].height}` : undefined);
    res.json({
      created: Math.floor(Date.now() / 1000),
      data,
      output_format: "png",
      ...(size ? { size } : {}),
    });
  }

  const modelOf = (name: string | undefined) =>
    name && !OPENAI_MODEL.test(name) ? name : undefined;
  const sizeOf = (size: string | undefined) =>
    size ? (size.split("x").map(Number) as [number, number]) : undefined;

  router.post("/v1/images/generations", deps.rateLimit, async (req, res) => {
    const input = OpenAIImageRequest.parse(req.body ?? {});
    const [width, height] = sizeOf(input.size)!;
    await answer(req, res, input, {
      prompt: input.prompt,
      n: input.n,
      width,
      height,
      style: "none",
      model: modelOf(input.model),
    });
  });

  const upload = uploads(deps.config.maxPictureBytes);

  // A picture changed as the prompt says. A mask asks for inpainting, which needs an inpainting model.
  router.post("/v1/images/edits", deps.rateLimit, upload, async (req, res) => {
    const input = OpenAIEditRequest.parse(req.body ?? {});
    if (((req.files ?? {}) as Files).mask?.length) {
      throw new ApiError(
        "invalid_request",
        "mask: inpainting is not supported by this model; send the picture without a mask to change it as a whole",
        { param: "mask" }
      );
    }
    const picture = await uploadedPicture(req, deps.config.maxPictureBytes);
    const size = sizeOf(input.size);
    await answer(
      req,
      res,
      input,
      {
        prompt: input.prompt,
        n: input.n,
        ...(size ? { width: size[0], height: size[1] } : {}),
        style: "none",
        model: modelOf(input.model),
        strength: input.strength,
      },
      picture
    );
  });

  // Pictures like the one given: no prompt; the picture alone guides them.
  router.post("/v1/images/variations", deps.rateLimit, upload, async (req, res) => {
    const input = OpenAIVariationRequest.parse(req.body ?? {});
    const picture = await uploadedPicture(req, deps.config.maxPictureBytes);
    const size = sizeOf(input.size);
    await answer(
      req,
      res,
      input,
      {
        prompt: "",
        n: input.n,
        ...(size ? { width: size[0], height: size[1] } : {}),
        style: "none",
        model: modelOf(input.model),
        strength: input.strength ?? VARIATION_STRENGTH,
      },
      picture
    );
  });
  return router;
}
