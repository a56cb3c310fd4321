// Image files named by the SHA-256 of their bytes: identical images share one file, a file never
// changes once written, and the database row only needs the hash.
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export class ImageFiles {
  constructor(readonly root: string) {}

  /** <root>/<first two hex digits>/<sha256>.png; the fan-out keeps directories small. */
  pathFor(sha256: string): string {
    return join(this.root, sha256.slice(0, 2), `${sha256}.png`);
  }

  /**
   * Writes the bytes unless their file exists; returns whether it wrote. Written to a temporary
   * file, flushed and renamed, so a crash never leaves a partial file under the final name.
   */
  put(sha256: string, bytes: Uint8Array): boolean {
    const path = this.pathFor(sha256);
    if (existsSync(path)) return false;
    // Not recursive: the root exists, and a recursive mkdir reports ENOENT for a read-only disk.
    try {
      mkdirSync(dirname(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const temp = `${path}.${randomUUID()}.tmp`;
    try {
      const fd = openSync(temp, "wx");
      try {
        writeFileSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    } catch (e) {
      rmSync(temp, { force: true });
      throw e;
    }
    return true;
  }

  remove(sha256: string): void {
    rmSync(this.pathFor(sha256), { force: true });
  }
}
