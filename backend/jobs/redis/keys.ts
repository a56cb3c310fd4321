// Names of Lumen's keys and channels in Redis, all under one prefix (LUMEN_REDIS_PREFIX, default
// "lumen"), so several deployments can share a Redis server and tests can each use their own.
export function redisKeys(prefix: string) {
  return {
    prefix,
    /** BullMQ's own keys: <prefix>:bull:<queue>:… */
    bullPrefix: `${prefix}:bull`,
    /** One BullMQ queue per model: workers take jobs only for the models they serve. */
    queueName: (model: string) => `model-${Buffer.from(model).toString("base64url")}`,
    /** Models that have had a queue: what depth() adds up. */
    models: `${prefix}:models`,
    /** A job's event ids: the last one given. Its existence means the stream is open. */
    seq: (id: string) => `${prefix}:events:${id}:seq`,
    /** A job's events as JSON {seq, event}, oldest first; only the latest step event is kept. */
    events: (id: string) => `${prefix}:events:${id}:list`,
    /** Set once the terminal event is published. */
    ended: (id: string) => `${prefix}:events:${id}:ended`,
    /** Live events of a job. */
    eventChannel: (id: string) => `${prefix}:events:${id}`,
    /** Cancel requests: the message is the job id. */
    cancelChannel: `${prefix}:cancel`,
    /** A cancel asked for a job, for a worker that claims it just after the message went by. */
    cancelled: (id: string) => `${prefix}:cancelled:${id}`,
    /** Recent batch durations in ms (newest first), for Retry-After. */
    durations: `${prefix}:batch-ms`,
    /** Live workers: one key each, refreshed while the worker runs, JSON of what it serves. */
    worker: (id: string) => `${prefix}:workers:${id}`,
    workerPattern: `${prefix}:workers:*`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
