// What both store implementations share: turning rows into records, and the limits of a page.
import { createHash } from "node:crypto";
import type {
  BattleRecord,
  GenerationRecord,
  ImageRecord,
  ImageSummary,
  Owner,
  Store,
} from "./records";

export const DAY_MS = 86_400_000;

export const clampLimit = (limit: number | undefined, fallback: number) =>
  Math.min(1000, Math.max(1, Math.trunc(limit ?? fallback) || fallback));

/** A generation row as both databases return it (params as JSON text, the owner in two columns). */
export type GenerationRow = Omit<GenerationRecord, "params" | "images" | "owner"> & {
  params: string;
  ownerTenant: string | null;
  ownerUser: string | null;
};
export type UnfinishedRow = GenerationRow & {
  job: string | null;
  runs: number;
  recoveries: number;
};
export type SummaryRow = Omit<ImageSummary, "blocked"> & {
  generationId: string;
  blocked: number | boolean;
};

/** Generation rows with their images (given for all of them, in index order) as records. */
export function toRecords(rows: GenerationRow[], images: SummaryRow[]): GenerationRecord[] {
  const byGeneration = new Map<string, ImageSummary[]>(rows.map((r) => [r.id, []]));
  for (const { generationId, blocked, ...image } of images) {
    byGeneration.get(generationId)?.push({ ...image, blocked: blocked === 1 || blocked === true });
  }
  return rows.map(({ ownerTenant, ownerUser, ...row }) => ({
    ...row,
    params: JSON.parse(row.params),
    owner:
      ownerTenant !== null && ownerUser !== null
        ? ({ tenantId: ownerTenant, userId: ownerUser } satisfies Owner)
        : null,
    images: byGeneration.get(row.id)!,
  }));
}

/** The cut-off of a purge: `days` before `now`; refuses a negative or non-finite number of days. */
export function purgeCutoff(days: number, now: Date): string {
  if (!Number.isFinite(days) || days < 0)
    throw new RangeError(`days must be a non-negative number, not ${days}`);
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

/** An arena battle row as both databases return it (each side's settings as JSON text). */
export interface BattleRow {
  id: string;
  clientId: string;
  promptHash: string;
  category: string;
  leftContender: string;
  leftSettings: string;
  leftImageId: string;
  rightContender: string;
  rightSettings: string;
  rightImageId: string;
  createdAt: string;
}

export const toBattle = (r: BattleRow): BattleRecord => ({
  id: r.id,
  clientId: r.clientId,
  promptHash: r.promptHash,
  category: r.category,
  left: {
    contender: r.leftContender,
    settings: JSON.parse(r.leftSettings),
    imageId: r.leftImageId,
  },
  right: {
    contender: r.rightContender,
    settings: JSON.parse(r.rightSettings),
    imageId: r.rightImageId,
  },
  createdAt: r.createdAt,
});

/** The record of a new image, keyed by the SHA-256 of its bytes, as both stores insert it. */
export function newImageRecord(
  img: Parameters<Store["addImage"]>[0],
  createdAt: string
): ImageRecord {
  return {
    id: img.id,
    generationId: img.generationId,
    index: img.index,
    seed: img.seed,
    width: img.width,
    height: img.height,
    sha256: createHash("sha256").update(img.png).digest("hex"),
    bytes: img.png.byteLength,
    createdAt,
  };
}
