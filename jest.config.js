// Jest over the test folders, each a project: `npm run test:unit|test:integration|test:safety|test:e2e`.
// Tests run as native ES modules (node --experimental-vm-modules, see package.json), so
// import.meta and top-level await work as they do under Node; swc only strips the types
// (`tsc --noEmit` checks them), ten times faster than ts-jest (bench/jest-transform.ts).

/** swc options for our TypeScript and TSX; @swc/jest picks ES module or CommonJS output per file. */
export const swcOptions = {
  jsc: {
    parser: { syntax: "typescript", tsx: true },
    target: "es2022",
    transform: { react: { runtime: "automatic" } },
  },
};

// office-addin-mock is CommonJS and require()s these ESM-only packages; Jest compiles them to
// CommonJS (Node 20's own require(esm) does not reach inside Jest's module system).
const ESM_ONLY = ["strip-bom", "uuid"];

/** @param {string} name */
function project(name) {
  return {
    displayName: name,
    roots: [`<rootDir>/tests/${name}`],
    testMatch: ["**/*.test.ts"],
    // Shares the Node realm's typed arrays with the tests, for onnxruntime-node.
    testEnvironment: "<rootDir>/tests/jest/environment.ts",
    extensionsToTreatAsEsm: [".ts", ".tsx"],
    transform: { "^.+\\.tsx?$": ["@swc/jest", swcOptions], "^.+\\.m?js$": ["@swc/jest", {}] },
    transformIgnorePatterns: [`/node_modules/(?!(${ESM_ONLY.join("|")})/)`],
  };
}

/** @type {import("jest").Config} */
export default {
  projects: [project("unit"), project("integration"), project("safety"), project("e2e")],
  // One test file at a time, as before: the integration and browser tests start servers, run
  // models on every core and share build outputs (tests/artifacts/dist, the CLI bundle).
  maxWorkers: 1,
  // One limit for every test and hook (Jest has no per-project one): long enough for the
  // production webpack build and the browser tests on a busy two-core machine.
  testTimeout: 240_000,
};
