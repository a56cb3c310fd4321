// The local-directory blob store against the shared contract, on a real temporary directory.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { LocalDirectoryBlobStore, type BlobStore } from "../../backend/blobs";
import { blob, blobStoreContract } from "../contracts/blobs";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

blobStoreContract("local directory", {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "lumen-blobs-"));
    dirs.push(dir);
    return new LocalDirectoryBlobStore(dir);
  },
  async openAgain(store: BlobStore) {
    return new LocalDirectoryBlobStore((store as LocalDirectoryBlobStore).root);
  },
});

describe("local directory blob store", () => {
  it("lays blobs out as <root>/<first two hex digits>/<key>.png and leaves no temporary files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lumen-blobs-"));
    dirs.push(dir);
    const store = new LocalDirectoryBlobStore(dir);
    const a = blob("layout");
    await store.put(a.key, a.bytes);
    expect(readdirSync(dir, { recursive: true }).sort()).toStrictEqual([
      a.key.slice(0, 2),
      join(a.key.slice(0, 2), `${a.key}.png`),
    ]);
    expect(store.dirs).toStrictEqual([dir]);
  });
});
