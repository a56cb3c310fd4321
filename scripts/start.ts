// npm start: build the add-in, start `lumen serve` with a PID file, wait until it is ready, then
// sideload with office-addin-debugging where that can be automated: desktop Word or PowerPoint on
// Windows and macOS, or Office on the web given a document (`npm run start:web -- --document <url>`).
// Elsewhere (Linux) it prints how to sideload by hand. The server's log stays in this terminal;
// Ctrl+C here or `npm stop` elsewhere stops it.
// Usage: start.ts [desktop|web] [--app word|powerpoint] [--document <url>]
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { homedir } from "node:os";
import { parseArgs } from "node:util";
import { isRunning, pidFile, readPids, root } from "./processes";

const http = /^(1|true|yes)$/i.test(process.env.LUMEN_HTTP ?? "");
const port = Number(process.env.LUMEN_PORT ?? 3000);
const host = process.env.LUMEN_HOST ?? "localhost";
const origin = `${http ? "http" : "https"}://${host}:${port}`;
const READY_TIMEOUT_MS = 300_000;
const desktopOffice = process.platform === "win32" || process.platform === "darwin";

interface Target {
  /** "desktop" sideloads into the installed Office app, "web" into Office on the web, "none" prints how. */
  platform: "desktop" | "web" | "none";
  app: "word" | "powerpoint";
  document?: string;
}

/** Reads and checks the command line before anything is built or started. */
function parseTarget(argv: string[]): Target {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { app: { type: "string" }, document: { type: "string" } },
  });
  if (positionals.length > 1 || (positionals[0] && !["desktop", "web"].includes(positionals[0]))) {
    throw new Error(`unknown platform "${positionals.join(" ")}"; use desktop or web`);
  }
  // As in the Office templates, package.json's config.app_to_debug picks the app.
  const app = (values.app ?? process.env.npm_package_config_app_to_debug ?? "word").toLowerCase();
  if (app !== "word" && app !== "powerpoint")
    throw new Error(`--app must be word or powerpoint, got "${app}"`);
  const platform =
    (positionals[0] as Target["platform"] | undefined) ?? (desktopOffice ? "desktop" : "none");
  if (platform === "desktop" && !desktopOffice) {
    throw new Error(
      "desktop Office runs on Windows and macOS only; use `npm run start:web -- --document <url>`"
    );
  }
  if (platform === "web") {
    if (!values.document) {
      throw new Error(
        "Office on the web needs a document to open: npm run start:web -- --document <url of a Word document or PowerPoint presentation in OneDrive or SharePoint>"
      );
    }
    let url: URL;
    try {
      url = new URL(values.document);
    } catch {
      throw new Error(`--document "${values.document}" is not a URL`);
    }
    if (url.protocol !== "https:")
      throw new Error("--document must be an https URL of a document in OneDrive or SharePoint");
  }
  return { platform, app, document: values.document };
}

function bin(name: string): string {
  return join(root, "node_modules", ".bin", process.platform === "win32" ? `${name}.cmd` : name);
}

/** office-addin-dev-certs: a localhost certificate that Office trusts (backend/tls.ts serves it). */
function installDevCerts(): void {
  if (existsSync(join(homedir(), ".office-addin-dev-certs", "localhost.crt"))) return;
  say("lumen: installing a trusted localhost certificate (office-addin-dev-certs install)");
  spawnSync(bin("office-addin-dev-certs"), ["install"], {
    cwd: root,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
}

function say(line = ""): void {
  process.stdout.write(`${line}\n`);
}

/** GET /readyz → status code, or 0 when nothing answers. The dev certificate is self-signed. */
function readyStatus(): Promise<number> {
  return new Promise((resolve) => {
    const get = http ? httpRequest : request;
    const req = get(`${origin}/readyz`, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

function build(): void {
  say("lumen: building the add-in (development) into dist/");
  const webpack = join(root, "node_modules", "webpack-cli", "bin", "cli.js");
  const result = spawnSync(process.execPath, [webpack, "--mode", "development"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (result.status !== 0) throw new Error("the add-in build failed (see above)");
}

async function waitUntilReady(server: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null)
      throw new Error(`lumen serve exited with code ${server.exitCode} before it was ready`);
    if ((await readyStatus()) === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${origin}/readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
}

function sideload(target: Target): void {
  const manifest = join(root, "manifest.xml");
  say();
  say(`Lumen is running at ${origin}`);
  say(`  Task pane:      ${origin}/taskpane.html`);
  say(`  Image Creator:  ${origin}/creator.html`);
  say();
  if (target.platform === "none") {
    say(
      "Office desktop does not run on Linux. Sideload into Office on the web instead, either with"
    );
    say("  npm run start:web -- --document <url of a document in OneDrive or SharePoint>");
    say("or by hand:");
    say("  1. Open a document in Word (or a presentation in PowerPoint) at https://www.office.com");
    say("  2. Home → Add-ins → More Add-ins (or Insert → Add-ins) → My Add-ins → Upload My Add-in");
    say(`  3. Choose ${manifest}`);
    say(
      `  The browser must trust the certificate of ${origin}: open ${origin}/readyz once and accept it,`
    );
    say("  or import the certificate named in the server's log into your browser's trusted roots.");
  } else {
    const args = ["start", "manifest.xml", target.platform, "--app", target.app];
    if (target.document) args.push("--document", target.document);
    say(
      `Sideloading into ${target.app === "word" ? "Word" : "PowerPoint"}: office-addin-debugging ${args.join(" ")}`
    );
    spawnSync(bin("office-addin-debugging"), args, {
      cwd: root,
      stdio: "inherit",
      shell: process.platform === "win32",
    });
  }
  say();
  say("Stop with Ctrl+C, or `npm stop` from another terminal.");
}

async function main(): Promise<void> {
  const target = parseTarget(process.argv.slice(2));
  const running = readPids();
  if (running && isRunning(running.server)) {
    throw new Error(`Lumen is already running (pid ${running.server}); run \`npm stop\` first`);
  }
  build();
  if (target.platform === "desktop" && !http) installDevCerts();
  mkdirSync(join(pidFile, ".."), { recursive: true });
  const server = spawn(process.execPath, [join(root, "bin", "lumen.js"), "serve"], {
    cwd: root,
    stdio: "inherit",
  });
  writeFileSync(pidFile, JSON.stringify({ server: server.pid, launcher: process.pid, origin }));
  const cleanUp = () => rmSync(pidFile, { force: true });
  const stop = () => server.kill("SIGTERM");
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  server.on("exit", (code, signal) => {
    cleanUp();
    process.exit(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1));
  });

  try {
    await waitUntilReady(server);
  } catch (error) {
    stop();
    throw error;
  }
  sideload(target);
}

main().catch((error: Error) => {
  process.stderr.write(`lumen: ${error.message}\n`);
  process.exitCode = 1;
});
