// Bundles backend/cli.ts into node_modules/.cache/lumen-cli/ with esbuild. Packages stay external
// (native addons load from node_modules as usual); lazily imported commands (serve, manifest)
// become their own chunks, so `lumen generate` never loads the server.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const sources = join(root, "backend");
const outdir = join(root, "node_modules", ".cache", "lumen-cli");
const entry = join(outdir, "cli.js");

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
  return `${newest(sources)} ${statSync(import.meta.filename).mtimeMs}`;
}

function isFresh(stamp) {
  try {
    return readFileSync(join(outdir, "stamp"), "utf8") === stamp;
  } catch {
    return false;
  }
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
      const rel = (p) => JSON.stringify(relative(outdir, p).split(sep).join("/"));
      let contents = readFileSync(args.path, "utf8").replaceAll("import.meta.url", `new URL(${rel(args.path)}, import.meta.url).href`);
      if (contents.includes("import.meta.dirname")) {
        contents =
          'import { fileURLToPath as __lumenPath } from "node:url";\n' +
          contents.replaceAll("import.meta.dirname", `__lumenPath(new URL(${rel(dirname(args.path))}, import.meta.url))`);
      }
      return { contents, loader: "ts" };
    });
  },
};

/** The URL of an up-to-date bundle of the CLI, building it first if needed. */
export async function freshCliBundle() {
  const stamp = sourceStamp();
  if (!isFresh(stamp)) {
    const esbuild = await import("esbuild");
    // Build next to the old bundle and swap, so a concurrent run never imports half a bundle.
    const tmp = `${outdir}.${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(dirname(outdir), { recursive: true });
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
    rmSync(outdir, { recursive: true, force: true });
    renameSync(tmp, outdir);
  }
  return pathToFileURL(entry).href;
}
