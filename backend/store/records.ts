// What the store keeps and hands back. Timestamps are ISO 8601 strings in UTC. The statuses and
// the image summary are the HTTP contract's (one vocabulary); the store leaves out the URL.
import type { GenerationStatus, ImageSummary as ApiImageSummary } from "../../contract";
import type { BlobStore } from "../blobs";

export { finishedStatuses, generationStatuses, type GenerationStatus } from "../../contract";

/** An image of a generation as history shows it; blocked images have no file. */
export type ImageSummary = Omit<ApiImageSummary, "url"> & {
  /** Id of the image's event in the generation's event stream; null for rows written before ids were kept. */
  eventSeq: number | null;
};

/**
 * Who a generation belongs to when sign-in is on: the user and the tenant of the token. With
 * sign-in off there is no owner and every caller who knows an id may use it.
 */
export interface Owner {
  tenantId: string;
  userId: string;
}

export interface GenerationRecord {
  id: string;
  clientId: string;
  prompt: string | null;
  promptHash: string;
  negativePrompt: string | null;
  params: Record<string, unknown>;
  model: string;
  status: GenerationStatus;
  owner: Owner | null;
  error: string | null;
  /** Code of the error event of a failed generation (internal_error, timeout, storage_unavailable, interrupted). */
  errorCode: string | null;
  category: string | null;
  /** Id of the final event in the event stream; null while unfinished. */
  eventSeq: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** In index order. */
  images: ImageSummary[];
}

/** A generation found queued or running when the store opens: what restart recovery works from. */
export interface UnfinishedGeneration extends GenerationRecord {
  /** The job as it was queued (JSON), or null when it was not kept (prompts are not stored). */
  job: unknown;
  /** How often it started running, and how often a restart queued it again. */
  runs: number;
  recoveries: number;
}

/** A delivered image and its file. */
export interface ImageRecord {
  id: string;
  generationId: string;
  index: number;
  seed: number;
  width: number;
  height: number;
  sha256: string;
  bytes: number;
  createdAt: string;
}

export interface FeedbackRecord {
  id: number;
  imageId: string;
  generationId: string;
  rating: "up" | "down";
  comment: string | null;
  clientId: string;
  createdAt: string;
}

export interface AuditRecord {
  id: number;
  createdAt: string;
  clientId: string;
  kind: "prompt" | "image";
  category: string;
  promptHash: string;
  prompt: string | null;
  generationId: string | null;
  /** The safety provider that blocked ("builtin", "azure"); null in rows older than the column. */
  provider: string | null;
  /** Why: a rule or a severity, never the prompt's words. */
  reason: string | null;
}

export const arenaWinners = ["left", "right", "tie", "both_bad"] as const;
export type ArenaWinner = (typeof arenaWinners)[number];

/** One side of an arena battle: who ran it, with which settings, and its picture. */
export interface BattleSide {
  contender: string;
  settings: Record<string, unknown>;
  imageId: string;
}

export interface BattleRecord {
  id: string;
  clientId: string;
  promptHash: string;
  category: string;
  left: BattleSide;
  right: BattleSide;
  createdAt: string;
}

/** A vote with what the leaderboard needs of its battle. */
export interface ArenaVoteRecord {
  id: number;
  battleId: string;
  clientId: string;
  winner: ArenaWinner;
  left: string;
  right: string;
  category: string;
  createdAt: string;
}

/**
 * Generation history, images, feedback, the audit and the arena, behind one asynchronous interface: SQLite
 * (one file, the default) and PostgreSQL (shared by every node) implement it and pass one contract
 * suite. Image bytes go to the store's blob store; the store decides when a blob lost its last reference.
 */
export interface Store {
  /** A new generation with status "queued"; `job` (kept until it finishes) lets a restart queue it again. */
  createGeneration(
    g: Pick<
      GenerationRecord,
      "id" | "clientId" | "prompt" | "promptHash" | "negativePrompt" | "params" | "model"
    > & {
      owner?: Owner | null;
      job?: unknown;
    }
  ): Promise<void>;
  /**
   * "running" sets startedAt and counts a run, a finished status sets finishedAt and drops the kept
   * job; error, errorCode and category are kept unless given. "failed" also removes the
   * generation's images (rows and unreferenced blobs): a failed generation keeps no partial result.
   * Throws NotFoundError.
   */
  setStatus(
    id: string,
    status: GenerationStatus,
    detail?: { error?: string; errorCode?: string; category?: string; eventSeq?: number }
  ): Promise<void>;
  /** With an owner, only a generation of that owner (others are "not found"). */
  getGeneration(id: string, owner?: Owner): Promise<GenerationRecord | undefined>;
  /** Newest first; `before` is a generation id (the last one of the previous page); limit 1–1000, default 50. */
  listGenerations(options?: {
    clientId?: string;
    owner?: Owner;
    limit?: number;
    before?: string;
  }): Promise<GenerationRecord[]>;
  /** Queued or running generations, oldest first: after a crash, the work that was in flight. */
  unfinishedGenerations(): Promise<UnfinishedGeneration[]>;
  /** Marks an unfinished generation queued again after a restart; returns its new recovery count. Throws NotFoundError. */
  requeue(id: string): Promise<number>;
  /**
   * Stores the bytes content-addressed (same bytes, one blob) and the row. Idempotent per
   * (generation, index): a job run again after its worker died writes no second row, and the
   * record of the first write is returned. Throws NotFoundError for an unknown generation.
   */
  addImage(img: {
    id: string;
    generationId: string;
    index: number;
    seed: number;
    width: number;
    height: number;
    png: Buffer;
    eventSeq?: number;
  }): Promise<ImageRecord>;
  /** A withheld image: a row with its category, no blob. Idempotent per (generation, index) like addImage. */
  addBlockedImage(img: {
    id: string;
    generationId: string;
    index: number;
    seed: number;
    category: string;
    width?: number;
    height?: number;
    eventSeq?: number;
  }): Promise<void>;
  /** A delivered image (its bytes are `blobs.get(sha256)`); undefined for unknown and blocked images, and with an owner, for others' images. */
  getImage(id: string, owner?: Owner): Promise<ImageRecord | undefined>;
  /** Stored with the image's generation. Throws NotFoundError for an unknown or blocked image, or one of another owner. */
  addFeedback(f: {
    imageId: string;
    rating: "up" | "down";
    comment?: string;
    clientId: string;
    owner?: Owner;
  }): Promise<FeedbackRecord>;
  addAudit(a: {
    clientId: string;
    kind: "prompt" | "image";
    category: string;
    promptHash: string;
    prompt: string | null;
    generationId?: string;
    provider?: string;
    reason?: string;
  }): Promise<void>;
  /** Newest first; limit 1–1000, default 100. */
  listAudit(options?: { limit?: number }): Promise<AuditRecord[]>;
  addBattle(b: Omit<BattleRecord, "createdAt">): Promise<BattleRecord>;
  getBattle(id: string): Promise<BattleRecord | undefined>;
  /** Throws NotFoundError for an unknown battle and AlreadyVotedError for this client's second vote on it. */
  addArenaVote(v: {
    battleId: string;
    clientId: string;
    winner: ArenaWinner;
  }): Promise<ArenaVoteRecord>;
  /** Oldest first; only the battles of `category` when given. */
  listArenaVotes(options?: { category?: string }): Promise<ArenaVoteRecord[]>;
  /** Rows in each table; images counts blocked ones too. */
  counts(): Promise<{ generations: number; images: number; feedback: number; audit: number }>;
  /** Deletes generations created more than `days` before `now`, with their images, feedback and unreferenced blobs; returns how many generations went. Audit rows stay. */
  purgeOlderThan(days: number, now?: Date): Promise<number>;
  /** Where image bytes go. */
  readonly blobs: BlobStore;
  /** Local directories the store writes to (its own and its blob store's), for the writability probe. */
  readonly dirs: readonly string[];
  /** What it is, for the log: "SQLite /srv/lumen/data/lumen.db", "PostgreSQL db.example.org:5432/lumen". */
  readonly description: string;
  close(): Promise<void>;
}
