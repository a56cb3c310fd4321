// The log: pino, writing through SonicBoom (pino's own asynchronous destination) so that a slow,
// full or failing destination never holds up the server. Lines wait in a bounded buffer and are
// retried on the next line; beyond the bound they are dropped and counted. Nothing here ever
// flushes synchronously: pino's default destination does so at exit, and on a full disk that
// retries forever (ENOSPC is not a "try again" error to it, but it tries again anyway).
import { pino, type Logger } from "pino";
import SonicBoom from "sonic-boom";

/** Most bytes of log lines held in memory while the destination cannot take them. */
export const LOG_BUFFER_BYTES = 1 << 20;

export interface LoggerOptions {
  /** File descriptor to write to (default 1, standard output). */
  fd?: number;
  /** Called for each line dropped because the buffer was full. */
  onDrop?: () => void;
}

export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  const destination = new SonicBoom({
    fd: options.fd ?? 1,
    sync: false,
    maxLength: LOG_BUFFER_BYTES,
  });
  destination.on("drop", () => options.onDrop?.());
  // A failed write (ENOSPC, EIO, EPIPE …) keeps its lines buffered for the next attempt; there is
  // nowhere to report it but the drop count, and throwing from here would end the process.
  destination.on("error", () => undefined);
  return pino({ level, base: { service: "lumen" } }, destination);
}
export type { Logger };
