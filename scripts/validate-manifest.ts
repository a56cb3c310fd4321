// Validates add-in manifests offline against the XML schemas in schemas/office, with xmllint
// (Debian: libxml2-utils). Usage: npm run validate [-- manifest.xml dist/manifest.xml ...]
import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { validateManifest } from "../backend/manifest/validate";

const root = resolve(import.meta.dirname, "..");

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
