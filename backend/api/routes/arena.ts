// /api/arena: battles between two anonymous contenders, one vote each, and the leaderboard.
import { Router, type Request, type RequestHandler } from "express";
import type { Owner } from "../../store";
import { ArenaBattleRequest, ArenaVoteRequest } from "../../../contract";
import { ApiError } from "../errors";
import type { ArenaService } from "../arena-service";

export function arenaRoutes(deps: {
  arena: ArenaService;
  clientId(req: Request): string;
  ownerOf(req: Request): Owner | undefined;
  rateLimit: RequestHandler;
}): Router {
  const { arena } = deps;
  const router = Router();

  // Waits for both pictures, like /v1/images/generations; a client that goes away cancels them.
  router.post("/api/arena/battles", deps.rateLimit, async (req, res) => {
    const { prompt } = ArenaBattleRequest.parse(req.body ?? {});
    const gone = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) gone.abort();
    });
    const battle = await arena.battle(
      prompt,
      {
        clientId: deps.clientId(req),
        owner: deps.ownerOf(req),
        requestId: String(res.getHeader("x-request-id")),
      },
      gone.signal
    );
    res.status(201).json(battle);
  });

  router.post("/api/arena/battles/:id/vote", async (req, res) => {
    const { winner } = ArenaVoteRequest.parse(req.body ?? {});
    res.json(await arena.vote(req.params.id, deps.clientId(req), winner, deps.ownerOf(req)));
  });

  router.get("/api/arena/battles/:id/images/:side", async (req, res) => {
    const side = req.params.side;
    if (side !== "left" && side !== "right")
      throw new ApiError("not_found", `no picture "${side}"; a battle has left and right`);
    const png = await arena.image(req.params.id, side, deps.ownerOf(req));
    res.setHeader("Cache-Control", "private, max-age=31536000, immutable");
    res.type("image/png").send(png);
  });

  router.get("/api/arena/leaderboard", async (req, res) => {
    const category = req.query.category;
    if (category !== undefined && typeof category !== "string")
      throw new ApiError("invalid_request", "category must be given once", { param: "category" });
    res.json(await arena.leaderboard(category || undefined));
  });

  return router;
}
