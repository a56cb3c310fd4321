// npm run validate [-- manifest.xml manifest.json dist/manifest.xml ...]: validates the add-in
// manifests offline, XML ones against the schemas in schemas/office with xmllint (Debian:
// libxml2-utils), JSON ones against schemas/app-manifest with ajv; then, where
// Microsoft's validation service answers, with office-addin-manifest's own check as the Office
// templates' `npm run validate` does. The online check never decides a CI run: it is skipped when
// CI is set (unless LUMEN_VALIDATE_ONLINE=1) and when the service cannot be reached
// (LUMEN_VALIDATE_ONLINE=0 skips it everywhere).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { validateManifest } from "../backend/manifest/validate";
import { validateAppManifest } from "../backend/manifest/validate-json";

const root = resolve(import.meta.dirname, "..");
const SERVICE = "https://validationgateway.omex.office.net/";
const PROBE_TIMEOUT_MS = 5000;

/**
 * True when the validation service answers at all (any HTTP status) over trusted TLS: then
 * office-addin-manifest can reach it too. `ca` adds a trusted root (tests).
 */
export function serviceReachable(
  url = SERVICE,
  timeoutMs = PROBE_TIMEOUT_MS,
  ca?: string
): Promise<boolean> {
  return new Promise((done) => {
    const req = request(url, { method: "HEAD", timeout: timeoutMs, ca }, (res) => {
      res.resume();
      done(true);
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => done(false));
    req.end();
  });
}

/** Whether to run the online check, and if not, why. */
export async function onlineCheck(env = process.env): Promise<{ run: boolean; reason?: string }> {
  const wanted = env.LUMEN_VALIDATE_ONLINE;
  if (wanted === "0") return { run: false, reason: "LUMEN_VALIDATE_ONLINE=0" };
  if (env.CI && wanted !== "1")
    return { run: false, reason: "CI (set LUMEN_VALIDATE_ONLINE=1 to run it)" };
  if (!(await serviceReachable())) return { run: false, reason: `${SERVICE} is not reachable` };
  return { run: true };
}

/** The offline check of one manifest, by its kind. */
export function validateOffline(file: string): {
  valid: boolean;
  schema: string;
  problems: string;
} {
  if (file.toLowerCase().endsWith(".json")) {
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      return { valid: false, schema: "schemas/app-manifest", problems: (error as Error).message };
    }
    const result = validateAppManifest(manifest);
    return {
      valid: result.valid,
      schema: "schemas/app-manifest",
      problems: result.errors.join("\n"),
    };
  }
  const result = validateManifest(file);
  return { valid: result.valid, schema: "schemas/office", problems: result.output };
}

async function main(): Promise<void> {
  const given = process.argv.slice(2);
  const defaults = [
    join(root, "manifest.xml"),
    join(root, "manifest.json"),
    join(root, "dist", "manifest.xml"),
  ];
  const files = given.length ? given : defaults.filter(existsSync);
  let failed = 0;
  for (const file of files) {
    const result = validateOffline(file);
    if (!result.valid) failed++;
    console.log(
      `${result.valid ? "✓" : "✗"} ${relative(process.cwd(), file)} (${result.schema}, offline)`
    );
    if (!result.valid) console.log(result.problems.replace(/^/gm, "  "));
  }
  const online = await onlineCheck();
  if (!online.run) {
    console.log(`- office-addin-manifest validate skipped: ${online.reason}`);
  } else {
    const tool = join(
      root,
      "node_modules",
      ".bin",
      process.platform === "win32" ? "office-addin-manifest.cmd" : "office-addin-manifest"
    );
    for (const file of files) {
      console.log(`office-addin-manifest validate ${relative(process.cwd(), file)}`);
      const run = spawnSync(tool, ["validate", file], {
        stdio: "inherit",
        shell: process.platform === "win32",
      });
      if (run.status !== 0) failed++;
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
