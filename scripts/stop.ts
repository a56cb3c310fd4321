// npm stop: stops the server that `npm start` started (by its PID file), and nothing else.
import { rmSync } from "node:fs";
import { isRunning, pidFile, readPids } from "./processes";

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
  while (isRunning(pids.server) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (isRunning(pids.server)) {
    process.kill(pids.server, "SIGKILL");
    console.log(`lumen: server (pid ${pids.server}) did not stop in ${STOP_TIMEOUT_MS / 1000} s; killed it`);
  } else {
    console.log(`lumen: stopped the server at ${pids.origin} (pid ${pids.server})`);
  }
  rmSync(pidFile, { force: true });
}

await main();
