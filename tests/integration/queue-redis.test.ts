// The job queue and event bus contracts on a real redis-server started for this file: API-side
// queue, event buses and a worker pool as separate connections, as on separate machines.
import { after, before, describe } from "node:test";
import { RedisEventBus } from "../../backend/jobs/redis/event-bus";
import { RedisJobQueue } from "../../backend/jobs/redis/queue";
import { RedisWorkerPool } from "../../backend/jobs/redis/worker-pool";
import { eventBusContract } from "../contracts/event-bus";
import { queueContract } from "../contracts/queue";
import { haveRedis, startRedis, type RedisServer } from "../helpers/services";

const skip = haveRedis || process.env.CI ? false : "redis-server is not installed (apt-get install redis-server)";
let redis: RedisServer;
before(async () => {
  if (!skip) redis = await startRedis();
});
after(async () => redis?.close());

let namespace = 0;
const prefix = () => `lumen-test-${process.pid}-${++namespace}`;

describe("Redis", { skip }, () => {
  queueContract("Redis (BullMQ)", {
    async create(runner, options) {
      const ns = prefix();
      const apiBus = new RedisEventBus({ url: redis.url, prefix: ns });
      const workerBus = new RedisEventBus({ url: redis.url, prefix: ns });
      await workerBus.ready;
      const queue = new RedisJobQueue({ url: redis.url, prefix: ns, maxQueue: options.maxQueue, bus: apiBus, cancelledWhileWaiting: runner.cancelledWhileWaiting });
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
