// Real disk faults for tests. Where this process may mount (root with CAP_SYS_ADMIN), a small tmpfs
// that is made read-only (remount) or full (a file fills it): the kernel's own EROFS and ENOSPC.
// Elsewhere a directory whose write permission is taken away, which stops any user but root; root
// without mount rights gets neither, and the tests that need one say why they skip.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const isRoot = process.getuid?.() === 0;
let mountable: boolean | undefined;

function run(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

/**
 * Remounting read-only fails while a file is open for writing (the server's probe, for a moment,
 * longer on a busy machine whose thread pool is full): try again for up to 60 s.
 */
function remount(path: string, mode: "ro" | "rw"): void {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (run("mount", ["-o", `remount,${mode}`, path])) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  throw new Error(`cannot remount ${path} ${mode}`);
}

/** Whether this process can mount a tmpfs (tried once). */
export function canMount(): boolean {
  if (mountable !== undefined) return mountable;
  mountable = false;
  if (!isRoot) return mountable;
  const dir = mkdtempSync(join(tmpdir(), "lumen-mount-"));
  if (run("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir])) {
    mountable = true;
    run("umount", [dir]);
  }
  rmSync(dir, { recursive: true, force: true });
  return mountable;
}

export type Fault = "read-only" | "full";

export interface FaultyDir {
  path: string;
  how: "tmpfs" | "permissions";
  supports(fault: Fault): boolean;
  /** Makes writes under path fail. */
  inflict(fault: Fault): void;
  /** Makes them work again. */
  repair(): void;
  dispose(): void;
}

/** Why no faulty directory can be made here, or undefined when one can. */
export function faultsUnavailable(fault: Fault): string | undefined {
  if (canMount()) return undefined;
  if (fault === "full") return "filling a disk needs a tmpfs, and this process may not mount one";
  return isRoot
    ? "root ignores permissions and this process may not mount a read-only tmpfs"
    : undefined;
}

function chmodTree(path: string, mode: (isDir: boolean) => number): void {
  chmodSync(path, mode(true));
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    const full = join(entry.parentPath, entry.name);
    chmodSync(full, mode(entry.isDirectory()));
  }
}

/** A directory at `path` (created) that can be made read-only or full; size in KiB for a tmpfs. */
export function faultyDir(path: string, sizeKiB = 4096): FaultyDir {
  mkdirSync(path, { recursive: true });
  if (canMount()) {
    if (!run("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0755`, "tmpfs", path]))
      throw new Error(`cannot mount a tmpfs on ${path}`);
    const filler = join(path, ".filler");
    return {
      path,
      how: "tmpfs",
      supports: () => true,
      inflict(fault) {
        if (fault === "read-only") return remount(path, "ro");
        // Fill to the last byte: large writes until ENOSPC, then ever smaller ones.
        const fd = openSync(filler, "w");
        try {
          for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
            const chunk = Buffer.alloc(size, 1);
            try {
              for (;;) writeSync(fd, chunk);
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
            }
          }
        } finally {
          closeSync(fd);
        }
      },
      repair() {
        remount(path, "rw");
        rmSync(filler, { force: true });
      },
      dispose() {
        run("umount", ["-l", path]);
      },
    };
  }
  return {
    path,
    how: "permissions",
    supports: (fault) => fault === "read-only" && !isRoot,
    inflict() {
      chmodTree(path, (dir) => (dir ? 0o555 : 0o444));
    },
    repair() {
      chmodTree(path, (dir) => (dir ? 0o755 : 0o644));
    },
    dispose() {
      if (statSync(path, { throwIfNoEntry: false }))
        chmodTree(path, (dir) => (dir ? 0o755 : 0o644));
    },
  };
}

/** uid and gid of "nobody", for running a server that permissions do stop (root ignores them). */
export function nobody(): { uid: number; gid: number } | undefined {
  const uid = spawnSync("id", ["-u", "nobody"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "nobody"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export { isRoot };
