/** An id that names nothing in the store; the API answers it with 404. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
  readonly code = "not_found";

  constructor(
    readonly entity: "generation" | "image" | "battle",
    readonly id: string
  ) {
    super(`${entity} ${id} not found`);
  }
}

/**
 * The data directory or database cannot be written (or opened): a full or read-only disk, lost
 * permissions, an I/O error. Not a bug: the API answers 503 storage_unavailable, /readyz says not
 * ready, and the message names the path and the cause for the operator.
 */
export class StorageError extends Error {
  override name = "StorageError";

  constructor(
    message: string,
    /** errno or SQLite code of the underlying failure, e.g. ENOSPC, EROFS, SQLITE_READONLY. */
    readonly reason: string,
    options?: { cause?: unknown }
  ) {
    super(message, options);
  }
}

/** What an errno or SQLite code means, in words an operator recognises. */
const CAUSES: Record<string, string> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EIO: "input/output error",
  ENOENT: "no such file or directory",
  ENOTDIR: "a part of the path is not a directory",
  SQLITE_FULL: "the disk is full",
  SQLITE_READONLY: "the database is read-only",
  SQLITE_IOERR: "input/output error",
  SQLITE_CANTOPEN: "the database file cannot be opened",
  SQLITE_PERM: "permission denied",
};

/** The errno or SQLite code of a storage failure, or undefined for any other error. */
export function storageReason(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== "string") return undefined;
  if (code in CAUSES) return code;
  // SQLite's extended codes (SQLITE_IOERR_WRITE, SQLITE_READONLY_DBMOVED, …) share their primary's meaning.
  const primary = Object.keys(CAUSES).find(
    (c) => c.startsWith("SQLITE_") && code.startsWith(`${c}_`)
  );
  return primary && code;
}

export function describeCause(reason: string): string {
  const primary = Object.keys(CAUSES).find((c) => reason === c || reason.startsWith(`${c}_`));
  return primary ? `${CAUSES[primary]} (${reason})` : reason;
}

/** A StorageError for a storage failure, naming what was being done and where; undefined for other errors. */
export function asStorageError(error: unknown, what: string): StorageError | undefined {
  if (error instanceof StorageError) return error;
  const reason = storageReason(error);
  return reason
    ? new StorageError(`${what}: ${describeCause(reason)}`, reason, { cause: error })
    : undefined;
}
/** A second vote of one user on one arena battle. */
export class AlreadyVotedError extends Error {
  override name = "AlreadyVotedError";

  constructor(readonly battleId: string) {
    super(`battle ${battleId} already has this user's vote`);
  }
}
