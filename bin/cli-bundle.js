// Bundles backend/cli.ts into node_modules/.cache/lumen-cli/<build>/ with esbuild. Packages stay
// external (native addons load from node_modules as usual); lazily imported commands (serve,
// manifest) become their own chunks, so `lumen generate` never loads the server.
//
// Each build has its own folder, named by what it was built from, and a folder is never replaced
// while it may be in use: several `lumen serve` started at once after an upgrade (an API node and
// workers on one machine) each import the chunks of the build they began with, even while another
// one builds the next. Builds unused for a day are removed.
import { createHash } from "node:crypto";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const sources = join(root, "backend");
// The CLI's sources: backend/ and the contract it shares with the add-in.
const sourceDirs = [sources, join(root, "contract")];
const cache = join(root, "node_modules", ".cache", "lumen-cli");
const DAY_MS = 86_400_000;

/** Newest modification time of anything under dir (a deleted file changes its folder's), in ms. */
function newest(dir) {
  let latest = statSync(dir).mtimeMs;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    latest = Math.max(latest, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return latest;
}

/** What the bundle was built from: the sources' newest time and this file's own. */
function sourceStamp() {
  return `${Math.max(...sourceDirs.map(newest))} ${statSync(import.meta.filename).mtimeMs}`;
}

/**
 * Sources find their data files relative to themselves (import.meta.url / dirname). In a bundle
 * that would be the bundle's folder, so each module's own location is written in, relative to the
 * bundle, which keeps the bundle valid if the checkout moves with its node_modules.
 */
const sourceLocation = {
  name: "source-location",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      // Every build folder lies directly in the cache folder: one relative path serves them all.
      const rel = (p) => JSON.stringify(relative(join(cache, "build"), p).split(sep).join("/"));
      let contents = readFileSync(args.path, "utf8").replaceAll(
        "import.meta.url",
        `new URL(${rel(args.path)}, import.meta.url).href`
      );
      if (contents.includes("import.meta.dirname")) {
        contents =
          'import { fileURLToPath as __lumenPath } from "node:url";\n' +
          contents.replaceAll(
            "import.meta.dirname",
            `__lumenPath(new URL(${rel(dirname(args.path))}, import.meta.url))`
          );
      }
      return { contents, loader: "ts" };
    });
  },
};

/** The folder of the build made from `stamp`, and whether it is complete. */
function buildFor(stamp) {
  const dir = join(cache, createHash("sha256").update(stamp).digest("hex").slice(0, 16));
  try {
    return { dir, complete: readFileSync(join(dir, "stamp"), "utf8") === stamp };
  } catch {
    return { dir, complete: false };
  }
}

/** Removes builds other than `keep` that no run has used for a day, and leftovers of failed builds. */
function prune(keep) {
  let entries;
  try {
    entries = readdirSync(cache, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = join(cache, e.name);
    if (path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > DAY_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // Another run removed it first.
    }
  }
}

/** The URL of an up-to-date bundle of the CLI, building it first if needed. */
export async function freshCliBundle() {
  const stamp = sourceStamp();
  const build = buildFor(stamp);
  if (!build.complete) {
    const esbuild = await import("esbuild");
    // Built aside and renamed into place: a build folder appears complete or not at all.
    const tmp = join(cache, `.tmp-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(cache, { recursive: true });
    await esbuild.build({
      entryPoints: [join(sources, "cli.ts")],
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      outdir: tmp,
      logLevel: "error",
      plugins: [sourceLocation],
    });
    writeFileSync(join(tmp, "stamp"), stamp);
    try {
      renameSync(tmp, build.dir);
    } catch (e) {
      // Another run built the same sources first: use its build.
      rmSync(tmp, { recursive: true, force: true });
      if (!buildFor(stamp).complete) throw e;
    }
    prune(build.dir);
  } else {
    // In use: not pruned for another day.
    const now = new Date();
    try {
      utimesSync(build.dir, now, now);
    } catch {
      // Read-only installs keep their build anyway.
    }
  }
  return pathToFileURL(join(build.dir, "cli.js")).href;
}
