// Validates add-in manifests offline against the XML schemas in schemas/office, with xmllint
// (Debian: libxml2-utils). Usage: npm run validate [-- manifest.xml dist/manifest.xml ...]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(import.meta.dirname, "..");
export const manifestSchema = join(root, "schemas", "office", "OfficeAppManifestV1_1.xsd");

export interface ValidationResult {
  file: string;
  valid: boolean;
  /** xmllint's own words: "<file> validates", or the failures with line numbers. */
  output: string;
}

export function validateManifest(file: string): ValidationResult {
  const run = spawnSync("xmllint", ["--noout", "--nonet", "--schema", manifestSchema, file], { encoding: "utf8" });
  if (run.error) {
    const missing = (run.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new Error(missing ? "xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)" : run.error.message);
  }
  return { file, valid: run.status === 0, output: `${run.stdout}${run.stderr}`.trim() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const given = process.argv.slice(2);
  const files = given.length ? given : [join(root, "manifest.xml"), join(root, "dist", "manifest.xml")].filter(existsSync);
  let failed = 0;
  for (const file of files) {
    const result = validateManifest(file);
    if (!result.valid) failed++;
    console.log(`${result.valid ? "✓" : "✗"} ${relative(process.cwd(), file)}`);
    if (!result.valid) console.log(result.output.replace(/^/gm, "  "));
  }
  process.exitCode = failed ? 1 : 0;
}
