// What the browser tests share: a development build of the add-in (rebuilt only when its inputs
// change), the real server with the best model present, and headless Chromium with a fresh profile.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll } from "@jest/globals";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startTestServer, type TestServer } from "../helpers/server";

export const root = join(import.meta.dirname, "..", "..");
export const artifacts = join(root, "tests", "artifacts");
const distDir = join(artifacts, "dist");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Skips browser tests on a machine without Chromium, but never in CI, where a skip would hide them. */
export const skipBrowser: string | false =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`
    : false;

const BUILD_INPUTS = [
  "addin",
  "assets",
  "manifest.xml",
  "webpack.config.js",
  "contract",
  "package-lock.json",
];

function listFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) => listFiles(join(path, e.name)));
}

function inputsHash(): string {
  const hash = createHash("sha256");
  for (const file of BUILD_INPUTS.flatMap((p) => listFiles(join(root, p))).sort()) {
    hash.update(relative(root, file)).update(readFileSync(file));
  }
  return hash.digest("hex");
}

/** A development build in tests/artifacts/dist (office.js from the server's local copy). */
export function buildAddin(): string {
  const stamp = join(distDir, ".inputs");
  const hash = inputsHash();
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === hash) return distDir;
  execFileSync(
    process.execPath,
    [join(root, "node_modules", "webpack-cli", "bin", "cli.js"), "--mode", "development"],
    {
      cwd: root,
      env: { ...process.env, LUMEN_DIST_DIR: distDir },
      stdio: ["ignore", "ignore", "inherit"],
      timeout: 180_000,
    }
  );
  writeFileSync(stamp, hash);
  return distDir;
}

/** The embedded landscapes model when it has been built, else the tiny random-weight fixture. */
export function modelOptions(): { modelsDir?: string; model?: string } {
  const modelsDir = join(root, "models");
  return existsSync(join(modelsDir, "lumen-landscapes", "model_index.json"))
    ? { modelsDir, model: "lumen-landscapes" }
    : {};
}

/**
 * Fixes the seed in Advanced options and folds them again. The image filter withholds a few of the
 * embedded model's pictures (docs/SAFETY.md); with a fixed seed its verdicts are the same every run.
 */
export async function useSeed(page: Page, seed = 1): Promise<void> {
  const toggle = page.getByRole("button", { name: "Advanced options" });
  await toggle.click();
  await page.getByRole("textbox", { name: "Seed" }).fill(String(seed));
  await toggle.click();
}

export async function startAddinServer(
  overrides: Record<string, unknown> = {}
): Promise<TestServer> {
  return startTestServer({ staticDir: buildAddin(), ...modelOptions(), ...overrides });
}

/**
 * The suite's server (`startAddinServer(overrides)`) and browser: started before its tests,
 * closed after them. Read them as `suite.server` and `suite.browser` inside hooks and tests.
 */
export function addinBrowserSuite(
  overrides: Record<string, unknown> = {},
  timeoutMs?: number
): { server: TestServer; browser: Browser } {
  const suite = {} as { server: TestServer; browser: Browser };
  beforeAll(async () => {
    suite.server = await startAddinServer(overrides);
    suite.browser = await launchBrowser(suite.server.url);
  }, timeoutMs);
  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.stop();
  }, timeoutMs);
  return suite;
}

export interface Browser {
  context: BrowserContext;
  newPage(options?: { width?: number; height?: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(origin: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "lumen-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    acceptDownloads: true,
    viewport: { width: 360, height: 900 },
    timeout: 60_000,
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
  context.setDefaultTimeout(30_000);
  const errors: string[] = [];
  return {
    context,
    async newPage({ width = 360, height = 900 } = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height });
      page.on("pageerror", (error) => errors.push(error.message));
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
      if (errors.length) throw new Error(`errors in the page:\n${errors.join("\n")}`);
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Presses Tab until `selector` has focus; fails after `limit` presses. */
export async function tabTo(page: Page, selector: string, limit = 40, key = "Tab"): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${selector} never got focus after ${limit} × ${key}`);
}

/**
 * Records, from now on, whether the progress panel, a live preview and the note that previews are
 * off by policy were ever on the page.
 */
export async function watchProgress(
  page: Page
): Promise<
  () => Promise<{ progress: boolean; preview: boolean; previewsOff: boolean; steps: string[] }>
> {
  // A string, not a function: tsx would wrap a function's inner helpers in its own __name().
  await page.evaluate(`(() => {
    const seen = { progress: false, preview: false, previewsOff: false, steps: [] };
    window.__progress = seen;
    new MutationObserver(() => {
      const panel = document.querySelector("[data-testid=progress]");
      if (!panel) return;
      seen.progress = true;
      if (panel.querySelector("img[src^='data:image']")) seen.preview = true;
      if (panel.querySelector("[data-testid=previews-off]")) seen.previewsOff = true;
      const step = /Step \\d+ of \\d+/.exec(panel.textContent || "");
      if (step && seen.steps[seen.steps.length - 1] !== step[0]) seen.steps.push(step[0]);
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  })()`);
  return () => page.evaluate("window.__progress");
}
