// The BlobStore contract: what every implementation (a local directory, an S3 bucket) must do,
// run by each one's test file against real storage. `open` gives a new, empty store each time;
// `openAgain` another store on the same storage (a second node, or a restart).
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { describe, expect, it } from "@jest/globals";
import type { BlobStore } from "../../backend/blobs";

export interface BlobStoreFactory {
  open(): Promise<BlobStore>;
  openAgain(store: BlobStore): Promise<BlobStore>;
}

/** Bytes and their key, as the store computes keys (SHA-256 in hex). */
export function blob(text: string, size = 0): { key: string; bytes: Buffer } {
  const bytes = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    Buffer.from(text),
    Buffer.alloc(size, text.length),
  ]);
  return { key: createHash("sha256").update(bytes).digest("hex"), bytes };
}

export function blobStoreContract(name: string, factory: BlobStoreFactory): void {
  describe(`blob store contract: ${name}`, () => {
    it("keeps bytes under their key, exactly, and reports what it holds", async () => {
      const store = await factory.open();
      const a = blob("a");
      const big = blob("big", 3 * 1024 * 1024);
      assert.equal(await store.has(a.key), false);
      assert.equal(await store.get(a.key), undefined);
      assert.equal(await store.put(a.key, a.bytes), true);
      assert.equal(await store.put(big.key, new Uint8Array(big.bytes)), true);
      assert.equal(await store.has(a.key), true);
      expect(await store.get(a.key)).toStrictEqual(a.bytes);
      const back = await store.get(big.key);
      assert.ok(Buffer.isBuffer(back));
      assert.equal(back.length, big.bytes.length);
      assert.ok(back.equals(big.bytes), "a 3 MiB blob comes back byte for byte");
      assert.equal(await store.get(blob("never written").key), undefined);
    });

    it("writes a key once: a second put of it writes nothing and says so", async () => {
      const store = await factory.open();
      const a = blob("once");
      assert.equal(await store.put(a.key, a.bytes), true);
      assert.equal(await store.put(a.key, a.bytes), false);
      expect(await store.get(a.key)).toStrictEqual(a.bytes);
    });

    it("removes a blob, and removing a missing one is not an error", async () => {
      const store = await factory.open();
      const a = blob("gone");
      const b = blob("stays");
      await store.put(a.key, a.bytes);
      await store.put(b.key, b.bytes);
      await store.remove(a.key);
      assert.equal(await store.has(a.key), false);
      assert.equal(await store.get(a.key), undefined);
      // only the removed key goes
      expect(await store.get(b.key)).toStrictEqual(b.bytes);
      await store.remove(a.key);
      await store.remove(blob("never written").key);
      // Written again after removal.
      assert.equal(await store.put(a.key, a.bytes), true);
      expect(await store.get(a.key)).toStrictEqual(a.bytes);
    });

    it("refuses keys that are not a SHA-256 in hex, before touching storage", async () => {
      const store = await factory.open();
      for (const key of [
        "../../etc/passwd",
        "ab/cd",
        "A".repeat(64),
        "a".repeat(63),
        "",
        `${"a".repeat(64)}/x`,
      ]) {
        await assert.rejects(store.put(key, Buffer.from("x")), RangeError, key);
        await assert.rejects(store.get(key), RangeError, key);
        await assert.rejects(store.has(key), RangeError, key);
        await assert.rejects(store.remove(key), RangeError, key);
      }
    });

    it("is shared: another store on the same storage sees, and keeps, what this one wrote", async () => {
      const first = await factory.open();
      const second = await factory.openAgain(first);
      const a = blob("shared");
      assert.equal(await first.put(a.key, a.bytes), true);
      assert.equal(await second.has(a.key), true);
      assert.equal(await second.put(a.key, a.bytes), false);
      expect(await second.get(a.key)).toStrictEqual(a.bytes);
      await second.remove(a.key);
      assert.equal(await first.get(a.key), undefined);
    });

    it("keeps one whole blob when several writers put the same key at once", async () => {
      const first = await factory.open();
      const second = await factory.openAgain(first);
      const a = blob("raced", 256 * 1024);
      const wrote = await Promise.all(
        [first, second, first, second].map((s) => s.put(a.key, a.bytes))
      );
      assert.ok(wrote.includes(true), "at least one writer wrote");
      for (const s of [first, second]) assert.ok((await s.get(a.key))!.equals(a.bytes));
    });
  });
}
