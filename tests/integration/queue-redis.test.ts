// The job queue and event bus contracts on a real redis-server started for this file: API-side
// queue, event buses and a worker pool as separate connections, as on separate machines; and
// what the Redis event bus does when that server goes away and comes back.
import { strict as assert } from "node:assert";
import { afterAll, beforeAll, expect, it } from "@jest/globals";
import { RedisEventBus } from "../../backend/jobs/redis/event-bus";
import { RedisJobQueue } from "../../backend/jobs/redis/queue";
import { RedisWorkerPool } from "../../backend/jobs/redis/worker-pool";
import { eventBusContract } from "../contracts/event-bus";
import { queueContract } from "../contracts/queue";
import { haveRedis, startRedis, type RedisServer } from "../helpers/services";
import { describeUnless } from "../helpers/skip";

const skip =
  haveRedis || process.env.CI
    ? false
    : "redis-server is not installed (apt-get install redis-server)";
let redis: RedisServer;
beforeAll(async () => {
  if (!skip) redis = await startRedis();
});
afterAll(async () => redis?.close());

let namespace = 0;
const prefix = () => `lumen-test-${process.pid}-${++namespace}`;

describeUnless(skip)("Redis", () => {
  queueContract("Redis (BullMQ)", {
    async create(runner, options) {
      const ns = prefix();
      const apiBus = new RedisEventBus({ url: redis.url, prefix: ns });
      const workerBus = new RedisEventBus({ url: redis.url, prefix: ns });
      await workerBus.ready;
      const queue = new RedisJobQueue({
        url: redis.url,
        prefix: ns,
        maxQueue: options.maxQueue,
        bus: apiBus,
        cancelledWhileWaiting: runner.cancelledWhileWaiting,
      });
      const workers = new RedisWorkerPool({
        url: redis.url,
        prefix: ns,
        models: ["m", "m1", "m2"],
        concurrency: options.concurrency,
        maxBatchImages: options.maxBatchImages,
        runner,
        bus: workerBus,
        device: "cpu",
      }).start();
      return {
        queue,
        async close() {
          await workers.close(0);
          await queue.close();
          await Promise.all([apiBus.close(), workerBus.close()]);
        },
      };
    },
  });

  it("follows a job after Redis comes back, also one whose subscription failed while it was away", async () => {
    const ns = prefix();
    const api = new RedisEventBus({ url: redis.url, prefix: ns });
    const worker = new RedisEventBus({ url: redis.url, prefix: ns });
    await Promise.all([api.ready, worker.ready]);
    try {
      await worker.open("j1");
      await redis.stop();
      await assert.rejects(api.subscribe("j1", () => undefined));
      await redis.start(); // not persistent: the stream is opened again, as a new job's would be
      // The connections find the server again on their own, after a back-off; until then commands
      // fail at once (maxRetriesPerRequest 1), so the first calls after the restart are retried.
      const once = async <T>(call: () => Promise<T>): Promise<T> => {
        for (let attempt = 0; ; attempt++) {
          try {
            return await call();
          } catch (e) {
            if (attempt > 100) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      };
      await once(() => worker.open("j1"));
      const received: string[] = [];
      let ended!: () => void;
      const done = new Promise<void>((resolve) => (ended = resolve));
      await once(() =>
        api.subscribe("j1", (event) => {
          received.push(event.type);
          if (event.type === "done") ended();
        })
      );
      const publisher = await once(() => worker.publisher("j1"));
      publisher.emit({ type: "started", steps: 1, n: 1 });
      publisher.emit({ type: "done", status: "done" });
      await publisher.flushed();
      // Bounded, so that a failure ends here and the connections are closed below.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        done,
        new Promise(
          (_, reject) =>
            (timer = setTimeout(
              () => reject(new Error(`no done event: ${received.join(", ")}`)),
              20_000
            ))
        ),
      ]);
      clearTimeout(timer);
      // live events arrive on the channel subscribed again
      expect(received).toStrictEqual(["started", "done"]);
    } finally {
      await Promise.all([api.close(), worker.close()]);
    }
  });

  eventBusContract("Redis", {
    async create() {
      const ns = prefix();
      const a = new RedisEventBus({ url: redis.url, prefix: ns });
      const b = new RedisEventBus({ url: redis.url, prefix: ns });
      await Promise.all([a.ready, b.ready]);
      return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
    },
  });
});
