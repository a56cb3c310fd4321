// The event bus on Redis: each job's events in a list (the replay) and on a channel (live), with
// ids from one counter per job, so any API node can stream any job and a client that reconnects
// to another node resumes after its Last-Event-ID. A Lua script appends and publishes in one
// step, so a subscriber that reads the list after subscribing to the channel misses nothing and,
// by the ids, sees nothing twice. Cancel requests go out on one channel to every node.
import { Redis } from "ioredis";
import type { GenerationEvent } from "../../../contract";
import {
  isTerminal,
  type EventBus,
  type EventListener,
  type Publisher,
  type SequencedEvent,
  type Subscription,
} from "../types";
import { redisKeys, type RedisKeys } from "./keys";

/**
 * KEYS: seq, events, ended. ARGV: channel, event JSON, its type, an explicit id or 0, terminal (0/1),
 * seconds a finished stream is kept, seconds an open stream is kept at most.
 * Returns the event's id, or 0 when the stream is unknown or has ended.
 */
const APPEND = `
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local seq
if tonumber(ARGV[4]) > 0 then
  seq = tonumber(ARGV[4])
  redis.call('SET', KEYS[1], seq, 'KEEPTTL')
else
  seq = redis.call('INCR', KEYS[1])
end
local entry = '{"seq":' .. seq .. ',"event":' .. ARGV[2] .. '}'
local replaced = false
if ARGV[3] == 'step' then
  local last = redis.call('LINDEX', KEYS[2], -1)
  if last and cjson.decode(last).event.type == 'step' then
    redis.call('LSET', KEYS[2], -1, entry)
    replaced = true
  end
end
if not replaced then redis.call('RPUSH', KEYS[2], entry) end
redis.call('PUBLISH', ARGV[1], entry)
if ARGV[5] == '1' then
  redis.call('SET', KEYS[3], '1', 'EX', ARGV[6])
  redis.call('EXPIRE', KEYS[1], ARGV[6])
  redis.call('EXPIRE', KEYS[2], ARGV[6])
else
  redis.call('EXPIRE', KEYS[2], ARGV[7])
end
return seq
`;

interface AppendCommand {
  lumenAppend(
    seqKey: string,
    eventsKey: string,
    endedKey: string,
    channel: string,
    event: string,
    type: string,
    seq: number,
    terminal: 0 | 1,
    keepFinished: number,
    keepOpen: number
  ): Promise<number>;
}

export interface RedisEventBusOptions {
  url: string;
  prefix?: string;
  /** Seconds a finished job's events stay (then the store answers); default 600. */
  keepFinishedSeconds?: number;
  /** Seconds an unfinished job's events stay at most; default two days. */
  keepOpenSeconds?: number;
  /** An event a publisher could not send (Redis unreachable); the job goes on. */
  onError?(error: unknown): void;
}

/** Opens a Redis connection that fails commands at once while Redis is unreachable instead of queueing them for ever. */
export function connectRedis(url: string, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    lazyConnect: false,
  });
  // Connection errors are reported on each command; without a listener ioredis logs them to stderr.
  redis.on("error", () => undefined);
  return redis;
}

export class RedisEventBus implements EventBus {
  private readonly keys: RedisKeys;
  private readonly redis: Redis & AppendCommand;
  private readonly subscriber: Redis;
  /** Local listeners by job id, each fed from the job's channel once `subscribed` resolves. */
  private readonly live = new Map<
    string,
    { listeners: Set<(entry: SequencedEvent) => void>; subscribed: Promise<unknown> }
  >();
  private readonly cancelListeners = new Set<(id: string) => void>();
  private readonly keepFinished: number;
  private readonly keepOpen: number;
  /** Resolves once this node listens for cancel requests (a cancel published before then does not reach it). */
  readonly ready: Promise<void>;

  constructor(private readonly options: RedisEventBusOptions) {
    this.keys = redisKeys(options.prefix ?? "lumen");
    this.keepFinished = options.keepFinishedSeconds ?? 600;
    this.keepOpen = options.keepOpenSeconds ?? 2 * 86_400;
    this.redis = connectRedis(options.url, "lumen-events") as Redis & AppendCommand;
    this.redis.defineCommand("lumenAppend", { numberOfKeys: 3, lua: APPEND });
    // A subscribed connection can do nothing else; ioredis subscribes again after a reconnect.
    this.subscriber = connectRedis(options.url, "lumen-events-subscriber");
    this.subscriber.on("message", (channel: string, message: string) =>
      this.onMessage(channel, message)
    );
    this.ready = this.subscriber.subscribe(this.keys.cancelChannel).then(
      () => undefined,
      () => undefined
    );
  }

  private onMessage(channel: string, message: string): void {
    if (channel === this.keys.cancelChannel) {
      for (const listener of this.cancelListeners) listener(message);
      return;
    }
    const id = channel.slice(`${this.keys.prefix}:events:`.length);
    const listeners = this.live.get(id)?.listeners;
    if (!listeners) return;
    const entry = JSON.parse(message) as SequencedEvent;
    for (const listener of [...listeners]) listener(entry);
  }

  async open(
    id: string,
    options: { seqBase?: number; earlier?: SequencedEvent[] } = {}
  ): Promise<void> {
    const earlier = [...(options.earlier ?? [])].sort((a, b) => a.seq - b.seq);
    const seq = Math.max(options.seqBase ?? 0, earlier.at(-1)?.seq ?? 0);
    const k = this.keys;
    const tx = this.redis
      .multi()
      .del(k.events(id), k.ended(id))
      .set(k.seq(id), seq, "EX", this.keepOpen);
    if (earlier.length)
      tx.rpush(k.events(id), ...earlier.map((e) => JSON.stringify(e))).expire(
        k.events(id),
        this.keepOpen
      );
    await execOrThrow(tx);
  }

  async publish(id: string, event: GenerationEvent): Promise<number> {
    return this.append(id, event, 0);
  }

  private append(id: string, event: GenerationEvent, seq: number): Promise<number> {
    const k = this.keys;
    return this.redis.lumenAppend(
      k.seq(id),
      k.events(id),
      k.ended(id),
      k.eventChannel(id),
      JSON.stringify(event),
      event.type,
      seq,
      isTerminal(event) ? 1 : 0,
      this.keepFinished,
      this.keepOpen
    );
  }

  async publisher(id: string): Promise<Publisher> {
    let seq = Number((await this.redis.get(this.keys.seq(id))) ?? 0);
    let last: Promise<unknown> = Promise.resolve();
    return {
      emit: (event) => {
        seq += 1;
        // Commands on one connection run in order, so the events arrive in the order emitted.
        last = this.append(id, event, seq).catch((error) => this.options.onError?.(error));
        return seq;
      },
      nextSeq: () => seq + 1,
      flushed: async () => void (await last),
    };
  }

  async replay(id: string, after = 0): Promise<SequencedEvent[] | undefined> {
    const state = await this.state(id);
    return state && state.events.filter((e) => e.seq > after);
  }

  private async state(
    id: string
  ): Promise<{ events: SequencedEvent[]; ended: boolean } | undefined> {
    const k = this.keys;
    const [[, list], [, open], [, ended]] = (await execOrThrow(
      this.redis.multi().lrange(k.events(id), 0, -1).exists(k.seq(id)).exists(k.ended(id))
    )) as [[null, string[]], [null, number], [null, number]];
    if (!open && !ended && list.length === 0) return undefined;
    return { events: list.map((e) => JSON.parse(e) as SequencedEvent), ended: ended === 1 };
  }

  async subscribe(
    id: string,
    listener: EventListener,
    after = 0
  ): Promise<Subscription | undefined> {
    await this.ready;
    let last = after;
    let ended = false;
    let replaying = true;
    const buffered: SequencedEvent[] = [];
    const deliver = ({ seq, event }: SequencedEvent) => {
      if (ended || seq <= last) return; // already had it (from the replay, or before reconnecting)
      last = seq;
      listener(event, seq);
      if (isTerminal(event)) {
        ended = true;
        stop();
      }
    };
    const onLive = (entry: SequencedEvent) => (replaying ? buffered.push(entry) : deliver(entry));
    const stop = () => this.removeLive(id, onLive);
    // Subscribe first, then read the list: an event published in between is in one or the other.
    await this.addLive(id, onLive);
    let state;
    try {
      state = await this.state(id);
    } catch (e) {
      stop();
      throw e;
    }
    if (!state) {
      stop();
      return undefined;
    }
    for (const entry of state.events) deliver(entry);
    replaying = false;
    for (const entry of buffered.splice(0)) deliver(entry);
    if (state.ended && !ended) {
      ended = true;
      stop();
    }
    return {
      close: stop,
      get ended() {
        return ended;
      },
    };
  }

  /**
   * Resolves once the job's channel is subscribed, for the second listener of a job too. A
   * SUBSCRIBE that fails (Redis unreachable) leaves nothing behind, so the next one tries again
   * rather than joining a channel that was never subscribed.
   */
  private async addLive(id: string, listener: (entry: SequencedEvent) => void): Promise<void> {
    let live = this.live.get(id);
    if (!live) {
      const subscribed = this.subscriber.subscribe(this.keys.eventChannel(id));
      const entry = { listeners: new Set<(entry: SequencedEvent) => void>(), subscribed };
      subscribed.catch(() => this.live.get(id) === entry && this.live.delete(id));
      this.live.set(id, entry);
      live = entry;
    }
    live.listeners.add(listener);
    try {
      await live.subscribed;
    } catch (e) {
      live.listeners.delete(listener);
      throw e;
    }
  }

  private removeLive(id: string, listener: (entry: SequencedEvent) => void): void {
    const live = this.live.get(id);
    if (!live?.listeners.delete(listener) || live.listeners.size > 0) return;
    this.live.delete(id);
    void this.subscriber.unsubscribe(this.keys.eventChannel(id)).catch(() => undefined);
  }

  async cancel(id: string): Promise<void> {
    await execOrThrow(
      this.redis
        .multi()
        .set(this.keys.cancelled(id), "1", "EX", this.keepOpen)
        .publish(this.keys.cancelChannel, id)
    );
  }

  /** Whether a cancel was asked for the job (a worker checks after it claims one). */
  async cancelRequested(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.cancelled(id))) === 1;
  }

  onCancel(listener: (id: string) => void): () => void {
    this.cancelListeners.add(listener);
    return () => void this.cancelListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.cancelListeners.clear();
    this.live.clear();
    await Promise.allSettled([this.subscriber.quit(), this.redis.quit()]);
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}

/** MULTI … EXEC, throwing the first command's error (ioredis reports them per command). */
async function execOrThrow(
  tx: ReturnType<Redis["multi"]>
): Promise<Array<[Error | null, unknown]>> {
  const results = (await tx.exec()) ?? [];
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
  return results;
}
