// How long Jest's transformers take to turn our TypeScript into JavaScript the tests can run: CPU
// time for every .ts/.tsx file under backend/, addin/ and tests/, cache off, ES module output.
//   npm run bench:jest-transform                         @swc/jest, as jest.config.js configures it
//   npm i --no-save ts-jest@29 && npm run bench:jest-transform -- @swc/jest ts-jest
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createScriptTransformer } from "@jest/transform";
import { readConfigs } from "jest-config";

const root = join(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const names = process.argv.slice(2).length ? process.argv.slice(2) : ["@swc/jest"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (["node_modules", "artifacts", "fixtures"].includes(name)) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}
const files = ["backend", "addin", "tests"].flatMap((d) => sources(join(root, d)));
const kib = files.reduce((n, f) => n + statSync(f).size, 0) / 1024;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
};

const { configs } = await readConfigs({ $0: "", _: [], selectProjects: ["unit"] }, [root]);
// @swc/jest with the options in jest.config.js; ts-jest transpiling only (tsconfig's isolatedModules).
const swcOptions = configs[0].transform.find(([pattern]) => pattern === "^.+\\.tsx?$")?.[2];
const candidates: Record<string, Record<string, unknown>> = {
  "@swc/jest": swcOptions ?? {},
  "ts-jest": { useESM: true },
};
console.log(`${files.length} files, ${kib.toFixed(0)} KiB\n`);
console.log("transformer  | first file (loads it) | all files   | per file");
console.log("-------------|-----------------------|-------------|---------");
for (const name of names) {
  let path: string;
  try {
    path = require.resolve(name);
  } catch {
    console.log(`${name.padEnd(12)} | not installed`);
    continue;
  }
  const config = {
    ...configs[0],
    cache: false,
    transform: [["^.+\\.tsx?$", path, candidates[name] ?? {}]] as [
      string,
      string,
      Record<string, unknown>,
    ][],
  };
  const transformer = await createScriptTransformer(config);
  const options = {
    instrument: false,
    supportsDynamicImport: true,
    supportsExportNamespaceFrom: true,
    supportsStaticESM: true,
    supportsTopLevelAwait: true,
  };
  let start = process.cpuUsage();
  transformer.transformSource(files[0], readFileSync(files[0], "utf8"), options);
  const first = cpuMs(start);
  start = process.cpuUsage();
  for (const file of files.slice(1))
    transformer.transformSource(file, readFileSync(file, "utf8"), options);
  const rest = cpuMs(start);
  console.log(
    `${name.padEnd(12)} | ${`${first.toFixed(0)} ms`.padStart(21)} | ${`${rest.toFixed(0)} ms`.padStart(11)} | ${(rest / (files.length - 1)).toFixed(1)} ms`
  );
}
