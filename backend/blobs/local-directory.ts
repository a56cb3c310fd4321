// Blobs as files named by their key under one directory: <root>/<first two hex digits>/<key>.png
// (the fan-out keeps directories small). A blob never changes once written, so a directory shared
// by several machines (NFS, a cluster file system) needs no locking: two writers of one key write
// the same bytes, and the rename of the second replaces the first with an identical file.
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { access, mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { checkKey, type BlobStore } from "./types";

export class LocalDirectoryBlobStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get dirs(): readonly string[] {
    return [this.root];
  }

  get location(): string {
    return this.root;
  }

  /** Creates the root (not its parents: a recursive mkdir reports ENOENT for a read-only disk). */
  createRoot(): void {
    try {
      mkdirSync(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }

  pathFor(key: string): string {
    checkKey(key);
    return join(this.root, key.slice(0, 2), `${key}.png`);
  }

  async has(key: string): Promise<boolean> {
    return access(this.pathFor(key)).then(
      () => true,
      () => false
    );
  }

  /** Written to a temporary file, flushed and renamed, so a crash never leaves a partial file under the key. */
  async put(key: string, bytes: Uint8Array): Promise<boolean> {
    const path = this.pathFor(key);
    if (await this.has(key)) return false;
    try {
      await mkdir(dirname(path));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const temp = `${path}.${randomUUID()}.tmp`;
    try {
      const file = await open(temp, "wx");
      try {
        await file.writeFile(bytes);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, path);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
    return true;
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathFor(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  }

  async remove(key: string): Promise<void> {
    await rm(this.pathFor(key), { force: true });
  }
}
