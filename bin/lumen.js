#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx lumen` works right after `npm ci`.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../backend/cli.ts");
process.exitCode = await main(process.argv);
