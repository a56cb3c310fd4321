// One file of a Hub repository into the download cache: resumed with an HTTP Range request where a
// partial copy exists, retried after a dropped connection, and verified against the digest the
// Hub lists for it (the LFS object id, a SHA-256, for large files; git's blob id for small ones)
// before it counts as downloaded. Files in the cache are named by that digest, so a partial copy
// resumes whichever revision or name the next pull asks for.
import { createHash, type Hash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { downloadFile } from "@huggingface/hub";
import type { HubSession } from "./session";
import { PullError } from "./errors";
import { isAlive } from "./pids";
import type { RepoFile } from "./layout";

export interface Digest {
  algorithm: "sha256" | "sha1";
  hex: string;
  /** git hashes a blob as "blob <size>\0" followed by its content. */
  gitBlob: boolean;
}

export function expectedDigest(file: RepoFile): Digest {
  if (file.lfs) return { algorithm: "sha256", hex: file.lfs.oid, gitBlob: false };
  if (file.oid) return { algorithm: "sha1", hex: file.oid, gitBlob: true };
  throw new PullError(`${file.path}: the Hub listed no object id to verify it against`);
}

function newHash(digest: Digest, size: number): Hash {
  const hash = createHash(digest.algorithm);
  if (digest.gitBlob) hash.update(`blob ${size}\0`);
  return hash;
}

async function hashPrefix(hash: Hash, path: string, bytes: number): Promise<void> {
  if (bytes === 0) return;
  for await (const chunk of createReadStream(path, { start: 0, end: bytes - 1 }))
    hash.update(chunk as Buffer);
}

export interface DownloadEvents {
  /** `from` bytes are already in the cache: a partial copy being continued, or the whole file. */
  onResume?(from: number): void;
  /** Bytes of the file on disk so far, after each write. */
  onProgress?(bytes: number): void;
  onRetry?(attempt: number, reason: string): void;
}

/** Holds the cache entry for this process; a lock left by a process that has died is taken over. */
function lock(path: string): () => void {
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(path, "utf8"));
      if (isAlive(pid))
        throw new PullError(
          `another lumen models pull (pid ${pid}) is downloading the same file; wait for it to finish`
        );
      rmSync(path, { force: true });
    }
  }
  throw new PullError(`cannot lock ${path}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Downloads `file` of `session.repo` at `session.commit` into the cache and returns the verified
 * copy's path. Dropped connections are retried (each retry resumes where the last one stopped);
 * a digest mismatch discards the copy and fails.
 */
export async function downloadToCache(
  session: HubSession,
  file: RepoFile,
  cacheDir: string,
  events: DownloadEvents = {}
): Promise<string> {
  const digest = expectedDigest(file);
  const done = join(cacheDir, digest.hex);
  if (existsSync(done) && statSync(done).size === file.size) {
    events.onResume?.(file.size);
    return done;
  }
  const part = `${done}.part`;
  const unlock = lock(`${done}.lock`);
  try {
    let hash: Hash | undefined;
    let hashed = 0;
    let blob: Blob | null | undefined;
    for (let attempt = 1; ; attempt++) {
      let have = existsSync(part) ? statSync(part).size : 0;
      if (have > file.size) {
        rmSync(part);
        have = 0;
      }
      if (!hash || hashed !== have) {
        hash = newHash(digest, file.size);
        await hashPrefix(hash, part, have);
        hashed = have;
      }
      if (have === file.size) break;
      session.clearFailure();
      try {
        blob ??= await downloadFile({
          repo: session.repo,
          path: file.path,
          revision: session.commit,
          hubUrl: session.endpoint,
          accessToken: session.token,
          fetch: session.fetch,
          // One protocol, plain HTTP with Range, serves every file: the Hub answers it for
          // Xet-backed files too.
          xet: false,
        });
        if (!blob)
          throw new PullError(
            `${file.path} is in the Hub's listing of ${session.repo} but the Hub cannot find it`
          );
        if (blob.size !== file.size) {
          throw new PullError(
            `${file.path}: the Hub serves ${blob.size} bytes but lists ${file.size}`
          );
        }
        if (have > 0) events.onResume?.(have);
        const out = await open(part, "a");
        try {
          const reader = (have > 0 ? blob.slice(have) : blob).stream().getReader();
          for (;;) {
            const { done: end, value } = await reader.read();
            if (end) break;
            if (hashed + value.byteLength > file.size) {
              await reader.cancel();
              throw new PullError(
                `${file.path}: the Hub sent more than the ${file.size} bytes it lists`
              );
            }
            await out.write(value);
            hash.update(value);
            hashed += value.byteLength;
            events.onProgress?.(hashed);
          }
        } finally {
          await out.close();
        }
        if (hashed < file.size)
          throw new Error(`connection closed after ${hashed} of ${file.size} bytes`);
        break;
      } catch (e) {
        const failure = session.explain(e);
        if (!failure.transient || attempt >= session.attempts)
          throw new PullError(`${file.path}: ${failure.message}`);
        events.onRetry?.(attempt, failure.message);
        await sleep(session.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    const got = hash!.digest("hex");
    if (got !== digest.hex) {
      rmSync(part, { force: true });
      throw new PullError(
        `${file.path} is corrupt: its ${digest.algorithm.toUpperCase()} is ${got}, the Hub lists ${digest.hex}; ` +
          "the copy was discarded, run the pull again"
      );
    }
    renameSync(part, done);
    return done;
  } finally {
    unlock();
  }
}
