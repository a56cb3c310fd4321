// npm start: build the add-in, start `lumen serve` with a PID file, wait until it is ready, then
// sideload where that can be automated (Windows, macOS) or say how (Office on the web).
// The server's log stays in this terminal; Ctrl+C here or `npm stop` elsewhere stops it.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { isRunning, pidFile, readPids, root } from "./processes";

const http = /^(1|true|yes)$/i.test(process.env.LUMEN_HTTP ?? "");
const port = Number(process.env.LUMEN_PORT ?? 3000);
const host = process.env.LUMEN_HOST ?? "localhost";
const origin = `${http ? "http" : "https"}://${host}:${port}`;
const READY_TIMEOUT_MS = 300_000;

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
  const result = spawnSync(process.execPath, [webpack, "--mode", "development"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  if (result.status !== 0) throw new Error("the add-in build failed (see above)");
}

async function waitUntilReady(server: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`lumen serve exited with code ${server.exitCode} before it was ready`);
    if ((await readyStatus()) === 200) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${origin}/readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
}

function sideload(): void {
  const manifest = join(root, "manifest.xml");
  say();
  say(`Lumen is running at ${origin}`);
  say(`  Task pane:      ${origin}/taskpane.html`);
  say(`  Image Creator:  ${origin}/creator.html`);
  say();
  if (process.platform === "win32" || process.platform === "darwin") {
    const debugging = join(root, "node_modules", ".bin", process.platform === "win32" ? "office-addin-debugging.cmd" : "office-addin-debugging");
    const command = ["start", "manifest.xml", "desktop", "--app", "word"];
    if (existsSync(debugging)) {
      say(`Sideloading into Word: office-addin-debugging ${command.join(" ")}`);
      spawnSync(debugging, command, { cwd: root, stdio: "inherit", shell: process.platform === "win32" });
    } else {
      say("To open Word (or PowerPoint: --app powerpoint) with the add-in sideloaded, run once:");
      say("  npx office-addin-dev-certs install        # trust the localhost certificate");
      say(`  npx office-addin-debugging ${command.join(" ")}`);
    }
  } else {
    say("Office desktop does not run on Linux. Sideload into Office on the web instead:");
    say("  1. Open a document in Word (or a presentation in PowerPoint) at https://www.office.com");
    say("  2. Home → Add-ins → More Add-ins (or Insert → Add-ins) → My Add-ins → Upload My Add-in");
    say(`  3. Choose ${manifest}`);
    say(`  The browser must trust the certificate of ${origin}: open ${origin}/readyz once and accept it,`);
    say("  or import the certificate named in the server's log into your browser's trusted roots.");
  }
  say();
  say("Stop with Ctrl+C, or `npm stop` from another terminal.");
}

async function main(): Promise<void> {
  const running = readPids();
  if (running && isRunning(running.server)) {
    throw new Error(`Lumen is already running (pid ${running.server}); run \`npm stop\` first`);
  }
  build();
  mkdirSync(join(pidFile, ".."), { recursive: true });
  const server = spawn(process.execPath, [join(root, "bin", "lumen.js"), "serve"], { cwd: root, stdio: "inherit" });
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
  sideload();
}

main().catch((error: Error) => {
  process.stderr.write(`lumen: ${error.message}\n`);
  process.exitCode = 1;
});
