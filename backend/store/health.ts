// Whether the data directory can be written right now: a small file written and removed in each
// directory the store writes to, and room left for images. It catches what a full, read-only or
// failing disk does to the next image before a job finds out, so /readyz can turn load balancers
// away, and it notices by itself when the disk is writable again. Remote image storage (a bucket)
// brings its own probe.
import { rmSync, writeFileSync } from "node:fs";
import { rm, statfs, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeCause, storageReason } from "./errors";

export interface StorageProblem {
  /** "/srv/lumen/data/images: no space left on the device (ENOSPC)" */
  message: string;
  reason: string;
}

/** One file system block: a disk without room for it cannot take an image either. */
const PROBE_BYTES = Buffer.alloc(4096);
/**
 * Free space below which the data directory counts as full: room for a few of the largest images
 * (a 2048² PNG is up to ~12 MB) and the database's growth, so jobs are refused before they fail.
 */
export const MIN_FREE_BYTES = 32 * 1024 * 1024;
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const probeName = () => `.lumen-probe-${process.pid}`;

function problemOf(dir: string, error: unknown): StorageProblem {
  const reason = storageReason(error) ?? String((error as { code?: unknown })?.code ?? "unknown");
  return { message: `${dir}: ${describeCause(reason)}`, reason };
}

/** Whether a file can be written in each directory (start-up: a nearly full disk may still start). */
export function probeWritableSync(dirs: readonly string[]): StorageProblem | undefined {
  for (const dir of dirs) {
    const file = join(dir, probeName());
    try {
      writeFileSync(file, PROBE_BYTES);
    } catch (e) {
      return problemOf(dir, e);
    } finally {
      rmSync(file, { force: true });
    }
  }
  return undefined;
}

/** The synchronous probe above, plus the free space: at least minFreeBytes must be left. */
export async function probeWritable(
  dirs: readonly string[],
  minFreeBytes = MIN_FREE_BYTES
): Promise<StorageProblem | undefined> {
  for (const dir of dirs) {
    const file = join(dir, probeName());
    try {
      await writeFile(file, PROBE_BYTES);
      const { bavail, bsize } = await statfs(dir);
      if (bavail * bsize < minFreeBytes) {
        return {
          message: `${dir}: ${describeCause("ENOSPC")}: ${mib(bavail * bsize)} free, less than the ${mib(minFreeBytes)} kept for images`,
          reason: "ENOSPC",
        };
      }
    } catch (e) {
      return problemOf(dir, e);
    } finally {
      await rm(file, { force: true }).catch(() => undefined);
    }
  }
  return undefined;
}

/**
 * The last probe's answer, refreshed on a timer (never on the request path) and at once when a
 * write fails elsewhere. `problem` is undefined while the directories can be written.
 */
export class StorageHealth {
  problem: StorageProblem | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly dirs: readonly string[],
    private readonly intervalMs = 2000,
    private readonly onChange?: (problem: StorageProblem | undefined) => void,
    /** Remote storage's own probe (an S3 bucket), after the directories'. */
    private readonly remote?: () => Promise<StorageProblem | undefined>
  ) {}

  start(): this {
    this.timer ??= setInterval(() => void this.check(), this.intervalMs).unref();
    return this;
  }

  /** Probes now (one probe at a time); resolves when done. */
  check(): Promise<void> {
    return (this.running ??= probeWritable(this.dirs)
      .then(async (problem) => problem ?? (await this.remote?.()))
      .then((problem) => this.set(problem))
      .finally(() => (this.running = undefined)));
  }

  /** A write failed elsewhere: not ready until a probe succeeds again. */
  report(problem: StorageProblem): void {
    this.set(problem);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private set(problem: StorageProblem | undefined): void {
    const changed = problem?.message !== this.problem?.message;
    this.problem = problem;
    if (changed) this.onChange?.(problem);
  }
}
