// Whether the data directory can be written right now: a small file written and removed in each
// directory the store writes to. It catches what a full, read-only or failing disk does to the
// next image before a job finds out, so /readyz can turn load balancers away, and it notices
// by itself when the disk is writable again.
import { rmSync, writeFileSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describeCause, storageReason } from "./errors";

export interface StorageProblem {
  /** "/srv/lumen/data/images: no space left on the device (ENOSPC)" */
  message: string;
  reason: string;
}

/** One file system block: a disk without room for it cannot take an image either. */
const PROBE_BYTES = Buffer.alloc(4096);
const probeName = () => `.lumen-probe-${process.pid}`;

function problemOf(dir: string, error: unknown): StorageProblem {
  const reason = storageReason(error) ?? String((error as { code?: unknown })?.code ?? "unknown");
  return { message: `${dir}: ${describeCause(reason)}`, reason };
}

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

export async function probeWritable(dirs: readonly string[]): Promise<StorageProblem | undefined> {
  for (const dir of dirs) {
    const file = join(dir, probeName());
    try {
      await writeFile(file, PROBE_BYTES);
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
  ) {}

  start(): this {
    this.timer ??= setInterval(() => void this.check(), this.intervalMs).unref();
    return this;
  }

  /** Probes now (one probe at a time); resolves when done. */
  check(): Promise<void> {
    return (this.running ??= probeWritable(this.dirs)
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
