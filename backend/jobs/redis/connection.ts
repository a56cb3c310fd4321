// Redis connections for BullMQ. On API nodes a command fails after one reconnection attempt or
// five seconds while Redis is unreachable (the client gets 503 queue_unavailable; nothing waits
// for ever); workers' blocking connections retry until Redis is back, as BullMQ requires
// (maxRetriesPerRequest: null).
import { Redis } from "ioredis";

export function apiConnection(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    commandTimeout: 5000,
    connectTimeout: 5000,
  });
  redis.on("error", () => undefined); // reported on each command instead
  return redis;
}

export function workerConnection(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
  });
  redis.on("error", () => undefined);
  return redis;
}

/** Whether an error means Redis could not be reached (rather than a bug or a refused command). */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: string; name?: string; message?: string };
  return (
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"].includes(
      e?.code ?? ""
    ) ||
    e?.name === "MaxRetriesPerRequestError" ||
    /Command timed out/i.test(e?.message ?? "") ||
    /Stream isn't writeable|Connection is closed|enableOfflineQueue|connect ETIMEDOUT|Reached the max retries/i.test(
      e?.message ?? ""
    )
  );
}
