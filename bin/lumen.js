#!/usr/bin/env node
// The `lumen` command. It runs backend/cli.ts from a bundle that esbuild writes on first use
// (and again whenever a backend source is newer), so each run imports a few plain JS files
// instead of compiling every TypeScript module on the fly.
import { freshCliBundle } from "./cli-bundle.js";

const { main } = await import(await freshCliBundle());
process.exitCode = await main(process.argv);
