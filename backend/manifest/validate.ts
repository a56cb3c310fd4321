// Offline validation of add-in manifests against the XML schemas in schemas/office, with xmllint
// (Debian: libxml2-utils): Microsoft's validator needs the internet.
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";

export const manifestSchema = join(
  resolve(import.meta.dirname, "..", ".."),
  "schemas",
  "office",
  "OfficeAppManifestV1_1.xsd"
);

export interface ValidationResult {
  file: string;
  valid: boolean;
  /** xmllint's own words: "<file> validates", or the failures with line numbers. */
  output: string;
}

export function validateManifest(file: string): ValidationResult {
  const run = spawnSync("xmllint", ["--noout", "--nonet", "--schema", manifestSchema, file], {
    encoding: "utf8",
  });
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(
      missing
        ? "xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)"
        : run.error.message
    );
  }
  return { file, valid: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}
