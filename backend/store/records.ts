// What the store keeps and hands back. Timestamps are ISO 8601 strings in UTC.
export const generationStatuses = ["queued", "running", "done", "blocked", "cancelled", "failed"] as const;
export type GenerationStatus = (typeof generationStatuses)[number];
export const finishedStatuses: readonly GenerationStatus[] = ["done", "blocked", "cancelled", "failed"];

/** An image of a generation as history shows it; blocked images have no file. */
export interface ImageSummary {
  id: string;
  index: number;
  seed: number;
  /** null for a blocked image recorded without its size. */
  width: number | null;
  height: number | null;
  blocked: boolean;
  category: string | null;
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
  error: string | null;
  category: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** In index order. */
  images: ImageSummary[];
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
}

export interface Store {
  /** A new generation with status "queued". */
  createGeneration(g: Pick<GenerationRecord, "id" | "clientId" | "prompt" | "promptHash" | "negativePrompt" | "params" | "model">): void;
  /** "running" sets startedAt, a finished status sets finishedAt; error and category are kept unless given. Throws NotFoundError. */
  setStatus(id: string, status: GenerationStatus, detail?: { error?: string; category?: string }): void;
  getGeneration(id: string): GenerationRecord | undefined;
  /** Newest first; `before` is a generation id (the last one of the previous page); limit 1–1000, default 50. */
  listGenerations(options?: { clientId?: string; limit?: number; before?: string }): GenerationRecord[];
  /** Stores the file content-addressed (same bytes, one file) and its row. Throws NotFoundError for an unknown generation. */
  addImage(img: { id: string; generationId: string; index: number; seed: number; width: number; height: number; png: Buffer }): ImageRecord;
  /** A withheld image: a row with its category, no file. */
  addBlockedImage(img: { id: string; generationId: string; index: number; seed: number; category: string; width?: number; height?: number }): void;
  /** A delivered image with the path of its PNG; undefined for unknown and blocked images. */
  getImage(id: string): (ImageRecord & { path: string }) | undefined;
  /** Stored with the image's generation. Throws NotFoundError for an unknown or blocked image. */
  addFeedback(f: { imageId: string; rating: "up" | "down"; comment?: string; clientId: string }): FeedbackRecord;
  addAudit(a: { clientId: string; kind: "prompt" | "image"; category: string; promptHash: string; prompt: string | null; generationId?: string }): void;
  /** Newest first; limit 1–1000, default 100. */
  listAudit(options?: { limit?: number }): AuditRecord[];
  /** Rows in each table; images counts blocked ones too. */
  counts(): { generations: number; images: number; feedback: number; audit: number };
  /** Deletes generations created more than `days` before `now`, with their images, feedback and unreferenced files; returns how many generations went. Audit rows stay. */
  purgeOlderThan(days: number, now?: Date): number;
  close(): void;
}
