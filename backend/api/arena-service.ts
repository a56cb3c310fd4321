// The arena: one prompt, two anonymous pictures by two contenders, one vote, and a leaderboard of
// Bradley–Terry scores. The pictures go through the same service, queue, prompt filter and image
// check as every other generation.
import { randomUUID } from "node:crypto";
import { rate, type Comparison } from "../arena/bradley-terry";
import { categoryLabels, categoryNames, promptCategory } from "../arena/categories";
import { resolveContenders, settingsOf, type Contender } from "../arena/contenders";
import type { Config } from "../config";
import { randomSeed, type ModelPool } from "../engine";
import type { JobQueue } from "../jobs/types";
import type { Metrics } from "../observability/metrics";
import {
  AlreadyVotedError,
  NotFoundError,
  promptHash,
  type ArenaVoteRecord,
  type BattleRecord,
  type Owner,
  type Store,
} from "../store";
import type {
  ArenaBattle,
  ArenaLeaderboard,
  ArenaReveal,
  ArenaStanding,
  ArenaWinner,
  GenerationEvent,
} from "../../contract";
import { ApiError } from "./errors";
import type { GenerationService, Requester } from "./generation-service";

export interface ArenaDeps {
  config: Config;
  pool: ModelPool;
  store: Store;
  queue: JobQueue;
  service: GenerationService;
  metrics?: Metrics;
  /** Uniform in [0, 1): which contenders meet and on which side; tests fix it. */
  random?: () => number;
}

export type Side = "left" | "right";

/** Bootstrap resamples behind each leaderboard's intervals. */
const REPLICATES = 1000;
/**
 * Below this many battles a contender's standing is marked provisional: a bootstrap over a handful
 * of votes can only reshuffle those votes (one vote gives an interval of width 0), so its interval
 * understates the uncertainty.
 */
const PROVISIONAL_BELOW = 20;

/** The generation's events up to done or error; cancels it when `signal` fires first. */
function finished(queue: JobQueue, id: string, signal: AbortSignal): Promise<GenerationEvent[]> {
  return new Promise((resolve, reject) => {
    const events: GenerationEvent[] = [];
    const onAbort = () => void queue.cancel(id);
    signal.addEventListener("abort", onAbort, { once: true });
    const fail = (e: unknown) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    };
    queue
      .subscribe(id, (event) => {
        events.push(event);
        if (event.type === "done" || event.type === "error") {
          signal.removeEventListener("abort", onAbort);
          resolve(events);
        }
      })
      // Just queued, so the queue knows it; a stream it does not know would never end.
      .then(
        (subscription) => subscription ?? fail(new Error(`generation ${id} has no event stream`)),
        fail
      );
  });
}

const imageUrl = (battleId: string, side: Side) => `/api/arena/battles/${battleId}/images/${side}`;

export class ArenaService {
  private readonly random: () => number;
  private cached?: { key: string; board: ArenaLeaderboard };

  constructor(private readonly deps: ArenaDeps) {
    this.random = deps.random ?? Math.random;
  }

  /** The contenders that can run now (models installed and allowed). */
  contenders(): Contender[] {
    const { config, pool } = this.deps;
    return resolveContenders({
      declared: config.arenaContenders,
      defaultModel: config.model,
      installed: pool.available().map((m) => m.name),
      allowedModels: config.allowedModels,
    });
  }

  /** On when the policy allows it and two or more contenders can run; otherwise why not. */
  status(): { enabled: true } | { enabled: false; reason: string } {
    if (!this.deps.config.arena)
      return { enabled: false, reason: "The arena is turned off by your organisation's policy." };
    const count = this.contenders().length;
    if (count < 2) {
      return {
        enabled: false,
        reason: `The arena needs two or more contenders (installed models, or named settings declared by the admin); there ${count === 1 ? "is 1" : `are ${count}`}.`,
      };
    }
    return { enabled: true };
  }

  /** Two pictures of the prompt by two different contenders, with one seed, in random order. */
  async battle(prompt: string, requester: Requester, signal: AbortSignal): Promise<ArenaBattle> {
    const status = this.status();
    if (!status.enabled) throw new ApiError("arena_unavailable", status.reason);
    const contenders = this.contenders();
    const k = contenders.length;
    const first = Math.floor(this.random() * k);
    let second = Math.floor(this.random() * (k - 1));
    if (second >= first) second++;
    const sides: Record<Side, Contender> = { left: contenders[first], right: contenders[second] };
    const seed = randomSeed();

    const { service, queue } = this.deps;
    const start = (c: Contender) =>
      service.create(
        {
          prompt,
          n: 1,
          aspect: "square",
          style: "none",
          model: c.model,
          steps: c.steps,
          guidance: c.guidance,
          seed,
        },
        requester,
        { scheduler: c.scheduler }
      );
    const left = await start(sides.left);
    let right: { id: string };
    try {
      right = await start(sides.right);
    } catch (e) {
      await queue.cancel(left.id);
      throw e;
    }
    const [leftEvents, rightEvents] = await Promise.all([
      finished(queue, left.id, signal),
      finished(queue, right.id, signal),
    ]);

    const images: Partial<Record<Side, string>> = {};
    for (const [side, events] of [
      ["left", leftEvents],
      ["right", rightEvents],
    ] as const) {
      const failure = events.find((e) => e.type === "error");
      if (failure)
        throw new ApiError(
          "internal_error",
          "a picture of the battle could not be generated; the server log has details"
        );
      const image = events.find((e) => e.type === "image");
      if (image?.type === "image") {
        images[side] = image.id;
        continue;
      }
      const blocked = events.find((e) => e.type === "blocked");
      if (blocked?.type === "blocked") {
        throw new ApiError(
          "content_policy_violation",
          "One of the two pictures was withheld by the content filter, so there is nothing to compare. Try another prompt.",
          { category: blocked.category }
        );
      }
      throw new ApiError(
        "internal_error",
        "the battle was cancelled before both pictures were ready"
      );
    }

    const id = randomUUID();
    await this.deps.store.addBattle({
      id,
      clientId: requester.clientId,
      promptHash: promptHash(prompt),
      category: promptCategory(prompt),
      left: { contender: sides.left.name, settings: settingsOf(sides.left), imageId: images.left! },
      right: {
        contender: sides.right.name,
        settings: settingsOf(sides.right),
        imageId: images.right!,
      },
    });
    return {
      id,
      left: { imageUrl: imageUrl(id, "left") },
      right: { imageUrl: imageUrl(id, "right") },
    };
  }

  /** Takes this user's one vote on the battle and reveals who drew which picture. */
  async vote(
    battleId: string,
    clientId: string,
    winner: ArenaWinner,
    owner?: Owner
  ): Promise<ArenaReveal> {
    await this.ownBattle(battleId, owner);
    let vote: ArenaVoteRecord;
    try {
      vote = await this.deps.store.addArenaVote({ battleId, clientId, winner });
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new ApiError("not_found", `no battle with id "${battleId}"`);
      if (e instanceof AlreadyVotedError)
        throw new ApiError(
          "already_voted",
          "You have already voted on this battle; each person votes once."
        );
      throw e;
    }
    this.deps.metrics?.arenaVotes.inc({ winner });
    return {
      id: battleId,
      winner,
      left: { contender: vote.left },
      right: { contender: vote.right },
    };
  }

  /** The battle's picture on one side: the stored image's PNG bytes. */
  async image(battleId: string, side: Side, owner?: Owner): Promise<Buffer> {
    const { store } = this.deps;
    const battle = await this.ownBattle(battleId, owner);
    const image = await store.getImage(battle[side].imageId);
    if (!image)
      throw new ApiError(
        "not_found",
        `the ${side} picture of battle "${battleId}" is no longer kept`
      );
    const png = await store.blobs.get(image.sha256);
    // A row without its blob: the bytes were lost outside Lumen (a volume not mounted, a file removed).
    if (!png)
      throw new Error(`image ${image.id}: no blob ${image.sha256} in ${store.blobs.location}`);
    return png;
  }

  /**
   * The battle, if the caller may see it: with sign-in on (an owner), only the person who started it;
   * anyone else is told it does not exist, as for generations.
   */
  private async ownBattle(battleId: string, owner: Owner | undefined): Promise<BattleRecord> {
    const battle = await this.deps.store.getBattle(battleId);
    if (!battle || (owner && battle.clientId !== `${owner.tenantId}:${owner.userId}`)) {
      throw new ApiError("not_found", `no battle with id "${battleId}"`);
    }
    return battle;
  }

  /** Scores with 95% intervals of every contender that has votes, best first; of one prompt category when given. */
  async leaderboard(category?: string): Promise<ArenaLeaderboard> {
    if (category !== undefined && !categoryNames.includes(category)) {
      throw new ApiError("invalid_request", `category must be one of ${categoryNames.join(", ")}`, {
        param: "category",
      });
    }
    const all = await this.deps.store.listArenaVotes();
    const key = `${category ?? ""}|${all.length}|${all.at(-1)?.id ?? 0}`;
    if (this.cached?.key === key) return this.cached.board;

    const votes = category ? all.filter((v) => v.category === category) : all;
    const names = [...new Set(votes.flatMap((v) => [v.left, v.right]))].sort();
    const index = new Map(names.map((n, i) => [n, i]));
    const tally = names.map(() => ({ battles: 0, wins: 0, ties: 0, losses: 0 }));
    const comparisons: Comparison[] = votes.map((v) => {
      const a = index.get(v.left)!;
      const b = index.get(v.right)!;
      tally[a].battles++;
      tally[b].battles++;
      // "Both bad" is a tie: neither picture was preferred (as LMArena counts it).
      const scoreA = v.winner === "left" ? 1 : v.winner === "right" ? 0 : 0.5;
      if (scoreA === 0.5) {
        tally[a].ties++;
        tally[b].ties++;
      } else {
        tally[scoreA === 1 ? a : b].wins++;
        tally[scoreA === 1 ? b : a].losses++;
      }
      return { a, b, scoreA };
    });
    const { scores, intervals } = rate(names.length, comparisons, {
      replicates: REPLICATES,
      seed: 0,
    });
    const round = (x: number) => Math.round(x * 10) / 10;
    const contenders: ArenaStanding[] = names
      .map((name, i) => ({
        name,
        score: round(scores[i]),
        ci95: [round(intervals[i][0]), round(intervals[i][1])] as [number, number],
        ...tally[i],
        provisional: tally[i].battles < PROVISIONAL_BELOW,
      }))
      .sort((x, y) => y.score - x.score || x.name.localeCompare(y.name));

    const perCategory = new Map<string, number>();
    for (const v of all) perCategory.set(v.category, (perCategory.get(v.category) ?? 0) + 1);
    const board: ArenaLeaderboard = {
      contenders,
      votes: votes.length,
      updatedAt: votes.at(-1)?.createdAt ?? null,
      category: category ?? null,
      categories: categoryNames.map((name) => ({
        name,
        label: categoryLabels[name],
        votes: perCategory.get(name) ?? 0,
      })),
    };
    this.cached = { key, board };
    return board;
  }
}
