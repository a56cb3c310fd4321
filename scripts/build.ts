// npm run build: the production build of the add-in in dist/, and with LUMEN_PUBLIC_URL set
// (e.g. https://images.example.org) the production manifest for that host in dist/manifest.xml,
// written and validated by `lumen manifest` (docs/ADMIN.md).
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { root } from "./processes";

const dist = resolve(root, process.env.LUMEN_DIST_DIR ?? "dist");

function run(args: string[]): void {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run([join(root, "node_modules", "webpack-cli", "bin", "cli.js"), "--mode", "production"]);
const url = process.env.LUMEN_PUBLIC_URL?.trim();
if (url) {
  run([
    join(root, "bin", "lumen.js"),
    "manifest",
    "--url",
    url,
    "--out",
    join(dist, "manifest.xml"),
  ]);
} else {
  console.log(
    "dist/manifest.xml points at https://localhost:3000 (development). For a deployment, build with\n" +
      "  LUMEN_PUBLIC_URL=https://images.example.org npm run build"
  );
}
