#!/usr/bin/env node
// The `lumen` command. It runs backend/cli.ts from a bundle that esbuild writes on first use
// (and again whenever a source under backend/ or contract/ is newer), so each run imports a few
// plain JS files instead of compiling every TypeScript module on the fly. Where the bundle cannot be written
// (a read-only install), it compiles the sources through tsx instead: slower, same behaviour.
import { freshCliBundle } from "./cli-bundle.js";

let cli;
try {
  cli = await import(await freshCliBundle());
} catch (e) {
  if (!["EACCES", "EROFS", "EPERM"].includes(e?.code)) throw e;
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import("../backend/cli.ts");
}
process.exitCode = await cli.main(process.argv);
