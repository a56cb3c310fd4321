import { createHash } from "node:crypto";

/** SHA-256 (hex) of the NFC-normalised prompt, so that the same text typed differently hashes alike. */
export function promptHash(prompt: string): string {
  return createHash("sha256").update(prompt.normalize("NFC"), "utf8").digest("hex");
}
