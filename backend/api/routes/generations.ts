// /api/generations: create, read, follow (SSE) and cancel generations.
import { Router, type Request } from "express";
import type { Store } from "../../store";
import type { JobQueue } from "../../jobs/types";
import { GenerationRequest, type Generation, type GenerationAccepted, type GenerationEvent, type Notice } from "../contract";
import { ApiError } from "../errors";
import type { GenerationService } from "../generation-service";
import { openEventStream, writeEvent } from "../sse";

type StoredGeneration = NonNullable<ReturnType<Store["getGeneration"]>>;

export function toGeneration(g: StoredGeneration): Generation {
  return {
    id: g.id,
    status: g.status,
    prompt: g.prompt,
    model: g.model,
    params: g.params,
    createdAt: g.createdAt,
    finishedAt: g.finishedAt ?? null,
    error: g.error ?? null,
    category: g.category ?? null,
    images: g.images.map((img) => ({
      id: img.id,
      index: img.index,
      seed: img.seed,
      url: img.blocked ? null : `/api/images/${img.id}.png`,
      width: img.width,
      height: img.height,
      blocked: img.blocked,
      category: img.category ?? null,
    })),
    links: { self: `/api/generations/${g.id}`, events: `/api/generations/${g.id}/events` },
  };
}

/** The events a finished generation would have sent, rebuilt from the store. */
function replayFromStore(g: StoredGeneration, notices: Notice[]): GenerationEvent[] {
  const events: GenerationEvent[] = [];
  for (const img of g.images) {
    events.push(
      img.blocked
        ? { type: "blocked", category: img.category ?? "sexual", index: img.index, message: "This image was withheld by the content filter." }
        : { type: "image", id: img.id, index: img.index, seed: img.seed, url: `/api/images/${img.id}.png`, width: img.width ?? 0, height: img.height ?? 0 },
    );
  }
  if (g.status === "failed") events.push({ type: "error", code: "internal_error", message: g.error ?? "generation failed" });
  else events.push({ type: "done", status: g.status, ...(notices.length ? { notices } : {}) });
  return events;
}

export function generationRoutes(deps: {
  service: GenerationService;
  store: Store;
  queue: JobQueue;
  clientId(req: Request): string;
  rateLimit: import("express").RequestHandler;
}): Router {
  const { service, store, queue } = deps;
  const router = Router();

  const find = (id: string) => {
    const g = store.getGeneration(id);
    if (!g) throw new ApiError("not_found", `no generation with id "${id}"`);
    return g;
  };

  router.post("/api/generations", deps.rateLimit, async (req, res) => {
    const input = GenerationRequest.parse(req.body ?? {});
    const { id, position, notices } = await service.create(input, deps.clientId(req), String(res.getHeader("x-request-id")));
    const body: GenerationAccepted = {
      id,
      status: "queued",
      position,
      links: { self: `/api/generations/${id}`, events: `/api/generations/${id}/events` },
      ...(notices.length ? { notices } : {}),
    };
    res.status(202).location(`/api/generations/${id}`).json(body);
  });

  router.get("/api/generations", (req, res) => {
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 20) || 20));
    const before = typeof req.query.before === "string" ? req.query.before : undefined;
    const items = store.listGenerations({ clientId: deps.clientId(req), limit, before }).map(toGeneration);
    res.json({ items });
  });

  router.get("/api/generations/:id", (req, res) => {
    res.json(toGeneration(find(req.params.id)));
  });

  router.get("/api/generations/:id/events", async (req, res) => {
    const stored = find(req.params.id);
    openEventStream(res);
    let count = 0;
    const send = (event: GenerationEvent) => {
      writeEvent(res, event, ++count);
      if (event.type === "done" || event.type === "error") res.end();
    };
    const unsubscribe = queue.subscribe(stored.id, send);
    if (!unsubscribe) {
      // The queue no longer holds its events: rebuilt from the store, the notices from the stored prompt.
      replayFromStore(stored, await service.storedNotices(stored.model, stored.prompt)).forEach(send);
      return;
    }
    // Comments keep idle proxies from closing the stream during long queues.
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    res.on("close", () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });

  router.delete("/api/generations/:id", async (req, res) => {
    const g = find(req.params.id);
    const cancelled = await queue.cancel(g.id);
    if (!cancelled) {
      throw new ApiError("invalid_request", `generation "${g.id}" has already finished (${g.status})`);
    }
    res.status(202).json({ id: g.id, status: "cancelling" });
  });

  return router;
}
