// Jest's describe.skip and it.skip take no reason; these say why on the console when they skip.
import { describe, it } from "@jest/globals";

/** A reason to skip (a string, or true), or nothing (false, "", undefined) to run. */
type Reason = string | boolean | null | undefined;

function note(reason: Reason): void {
  console.warn(`skipped${typeof reason === "string" && reason ? `: ${reason}` : ""}`);
}

/** `describe`, or `describe.skip` with the reason printed when there is one. */
export function describeUnless(reason: Reason) {
  if (!reason) return describe;
  note(reason);
  return describe.skip;
}

/** `it`, or `it.skip` with the reason printed when there is one. */
export function itUnless(reason: Reason) {
  if (!reason) return it;
  note(reason);
  return it.skip;
}

/**
 * For a test that finds out only while it runs that it cannot run here (no tmpfs, not root):
 * Jest cannot mark a running test skipped, so this says why and the test returns (`return skipNow(why)`).
 */
export function skipNow(reason?: string): void {
  note(reason ?? true);
}
