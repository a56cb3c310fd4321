// The test realm's Error recognises errors Node makes in its own realm (tests/jest/environment.ts),
// as code run outside Jest does, without making unrelated errors pass for one another.
import { describe, expect, it } from "@jest/globals";
import { readFileSync } from "node:fs";
import { runInNewContext } from "node:vm";

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("nothing was thrown");
}

describe("the Jest test environment", () => {
  it("takes an error made by Node's own modules for an Error, keeping its code", () => {
    const e = thrownBy(() => readFileSync("/nonexistent/lumen"));
    expect(e instanceof Error).toBe(true);
    expect((e as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("matches built-in subclasses by kind, and the tests' own subclasses only by their own instances", () => {
    const typeError = thrownBy(() => Buffer.alloc(-1));
    expect(typeError instanceof RangeError || typeError instanceof TypeError).toBe(true);
    expect(new RangeError("x") instanceof TypeError).toBe(false);

    class StoreError extends Error {}
    expect(new StoreError("x") instanceof StoreError).toBe(true);
    expect(new StoreError("x") instanceof Error).toBe(true);
    expect(new Error("x") instanceof StoreError).toBe(false);
    expect(thrownBy(() => readFileSync("/nonexistent/lumen")) instanceof StoreError).toBe(false);
  });

  it("still refuses values that are not errors, and errors of a third realm", () => {
    expect(({ message: "x" } as unknown) instanceof Error).toBe(false);
    expect(("x" as unknown) instanceof Error).toBe(false);
    expect(runInNewContext("new Error('x')") instanceof Error).toBe(false);
  });
});
