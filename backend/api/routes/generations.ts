// /api/generations: create, read, follow (SSE) and cancel generations. With sign-in on, a
// generation belongs to the user and tenant that made it; to anyone else its id is unknown (404).
import { Router, type Request } from "express";
import { storedEvents } from "../../jobs/replay";
import type { JobQueue } from "../../jobs/types";
import type { Owner, Store } from "../../store";
import {
  GenerationRequest,
  type Generation,
  type GenerationAccepted,
  type GenerationEvent,
} from "../../../contract";
import { ApiError } from "../errors";
import type { GenerationService } from "../generation-service";
import { openEventStream, writeEvent } from "../sse";

type StoredGeneration = NonNullable<Awaited<ReturnType<Store["getGeneration"]>>>;

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

/** The id of the last event a reconnecting client received (EventSource sends it by itself). */
function lastEventId(req: Request): number {
  const header = req.get("last-event-id");
  if (header === undefined || header.trim() === "") return 0;
  if (!/^\d{1,15}$/.test(header.trim())) {
    throw new ApiError(
      "invalid_request",
      "Last-Event-ID must be the id of an event from this stream",
      { param: "Last-Event-ID" }
    );
  }
  return Number(header.trim());
}

export function generationRoutes(deps: {
  service: GenerationService;
  store: Store;
  queue: JobQueue;
  clientId(req: Request): string;
  ownerOf(req: Request): Owner | undefined;
  rateLimit: import("express").RequestHandler;
}): Router {
  const { service, store, queue } = deps;
  const router = Router();

  const find = async (req: Request, id: string) => {
    const g = await store.getGeneration(id, deps.ownerOf(req));
    if (!g) throw new ApiError("not_found", `no generation with id "${id}"`);
    return g;
  };

  router.post("/api/generations", deps.rateLimit, async (req, res) => {
    const input = GenerationRequest.parse(req.body ?? {});
    const { id, position, notices } = await service.create(input, {
      clientId: deps.clientId(req),
      owner: deps.ownerOf(req),
      requestId: String(res.getHeader("x-request-id")),
    });
    const body: GenerationAccepted = {
      id,
      status: "queued",
      position,
      links: { self: `/api/generations/${id}`, events: `/api/generations/${id}/events` },
      ...(notices.length ? { notices } : {}),
    };
    res.status(202).location(`/api/generations/${id}`).json(body);
  });

  router.get("/api/generations", async (req, res) => {
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 20) || 20));
    const before = typeof req.query.before === "string" ? req.query.before : undefined;
    const owner = deps.ownerOf(req);
    if (before !== undefined && !(await store.getGeneration(before, owner))) {
      throw new ApiError(
        "invalid_request",
        `before: no generation with id "${before}"; pass the id of the last item of the previous page`,
        {
          param: "before",
        }
      );
    }
    // Signed in: the user's own generations; otherwise this client's (its address).
    const items = (
      await store.listGenerations({
        ...(owner ? { owner } : { clientId: deps.clientId(req) }),
        limit,
        before,
      })
    ).map(toGeneration);
    res.json({ items });
  });

  router.get("/api/generations/:id", async (req, res) => {
    res.json(toGeneration(await find(req, req.params.id)));
  });

  router.get("/api/generations/:id/events", async (req, res) => {
    const stored = await find(req, req.params.id);
    const after = lastEventId(req);
    // The stream opens once the subscription stands: a queue that cannot be reached answers 503
    // queue_unavailable, not a stream that breaks. Events the replay delivers before then wait.
    const early: Array<[GenerationEvent, number]> = [];
    let opened = false;
    const send = (event: GenerationEvent, seq: number) => {
      if (!opened) return void early.push([event, seq]);
      if (res.writableEnded) return;
      writeEvent(res, event, seq);
      if (event.type === "done" || event.type === "error") res.end();
    };
    const subscription = await queue.subscribe(stored.id, send, after);
    openEventStream(res);
    opened = true;
    for (const [event, seq] of early) send(event, seq);
    if (!subscription || subscription.ended) {
      // Not (or no longer) in the queue's log: the store has the outcome and the ids it was sent
      // with, the notices come from the stored prompt.
      if (!subscription) {
        const notices = await service.storedNotices(stored.model, stored.prompt);
        for (const { seq, event } of storedEvents(stored, notices))
          if (seq > after) send(event, seq);
      }
      if (!res.writableEnded) res.end();
      return;
    }
    // Comments keep idle proxies from closing the stream during long queues.
    const heartbeat = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
    res.on("close", () => {
      clearInterval(heartbeat);
      subscription.close();
    });
  });

  router.delete("/api/generations/:id", async (req, res) => {
    const g = await find(req, req.params.id);
    const cancelled = await queue.cancel(g.id);
    if (!cancelled) {
      throw new ApiError(
        "invalid_request",
        `generation "${g.id}" has already finished (${g.status})`
      );
    }
    res.status(202).json({ id: g.id, status: "cancelling" });
  });

  return router;
}
