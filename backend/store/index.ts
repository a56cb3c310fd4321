// The store: generation history, image files, feedback and the safety audit, under one data directory.
export { NotFoundError } from "./errors";
export { promptHash } from "./prompt-hash";
export { SchemaVersionError } from "./schema";
export { openStore, type StoreOptions } from "./sqlite-store";
export {
  generationStatuses,
  type AuditRecord,
  type FeedbackRecord,
  type GenerationRecord,
  type GenerationStatus,
  type ImageRecord,
  type ImageSummary,
  type Store,
} from "./records";
