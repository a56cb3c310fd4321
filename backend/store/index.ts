// The store: generation history, image blobs, feedback, the safety audit and the arena; SQLite by default.
export { AlreadyVotedError, asStorageError, NotFoundError, StorageError } from "./errors";
export { probeWritable, StorageHealth, type StorageProblem } from "./health";
export { promptHash } from "./prompt-hash";
export { SchemaVersionError } from "./schema";
export { openStore, type StoreOptions } from "./sqlite-store";
export {
  arenaWinners,
  finishedStatuses,
  generationStatuses,
  type ArenaVoteRecord,
  type ArenaWinner,
  type BattleRecord,
  type BattleSide,
  type AuditRecord,
  type FeedbackRecord,
  type GenerationRecord,
  type GenerationStatus,
  type ImageRecord,
  type ImageSummary,
  type Owner,
  type Store,
  type UnfinishedGeneration,
} from "./records";
