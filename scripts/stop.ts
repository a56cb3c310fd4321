// npm stop: stops the server that `npm start` started (by its PID file), and nothing else; where
// desktop Office runs (Windows, macOS) it also removes the sideloaded add-in with
// office-addin-debugging, as the Office templates' `npm stop` does.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { isRunning, pidFile, readPids, root } from "./processes";

const STOP_TIMEOUT_MS = 15_000;

async function main(): Promise<void> {
  const pids = readPids();
  if (!pids || !isRunning(pids.server)) {
    rmSync(pidFile, { force: true });
    console.log("lumen: not running");
    return;
  }
  // SIGTERM lets running generations finish, then the server exits and `npm start` with it.
  process.kill(pids.server, "SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isRunning(pids.server) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 200));
  if (isRunning(pids.server)) {
    process.kill(pids.server, "SIGKILL");
    console.log(
      `lumen: server (pid ${pids.server}) did not stop in ${STOP_TIMEOUT_MS / 1000} s; killed it`
    );
  } else {
    console.log(`lumen: stopped the server at ${pids.origin} (pid ${pids.server})`);
  }
  rmSync(pidFile, { force: true });
}

function unregisterSideload(): void {
  if (process.platform !== "win32" && process.platform !== "darwin") return;
  const debugging = join(
    root,
    "node_modules",
    ".bin",
    process.platform === "win32" ? "office-addin-debugging.cmd" : "office-addin-debugging"
  );
  if (!existsSync(debugging)) return;
  spawnSync(debugging, ["stop", "manifest.xml"], {
    cwd: root,
    stdio: "inherit",
    shell: process.platform === "win32",
  });
}

await main();
unregisterSideload();
