// Redis Sentinel (REDIS_URL=redis+sentinel://host:port,…/<master>): the app's connection finds the master through a
// sentinel, BullMQ works over it, and after a failover writes go to the new master. Private redis-servers only.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, redisAnswers, startPrivateRedis, type PrivateRedis } from "../../scripts/local-stack/services.js";
import { createQueues, queueKeyPrefix, sweepGaps } from "../../src/queues/index.js";
import { createRedisClient, type RedisClient } from "../../src/redis/index.js";
import { eventually } from "../support/stack.js";

let dir: string;
let master: PrivateRedis;
let replica: ChildProcess;
let replicaPort: number;
let sentinel: ChildProcess;
let sentinelPort: number;
const connections: RedisClient[] = [];

async function startRedis(args: string[], port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", args, { stdio: "ignore" });
  await eventually(
    async () => ((await redisAnswers("127.0.0.1", port)) ? true : undefined),
    10_000,
    `redis on ${port}`,
  );
  return child;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "sentinel-"));
  master = await startPrivateRedis();
  replicaPort = await freePort();
  replica = await startRedis(
    [
      "--port",
      String(replicaPort),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--replicaof",
      "127.0.0.1",
      String(master.port),
      // Its copy of the master's data (dump.rdb) goes here, not into the working directory.
      "--dir",
      dir,
    ],
    replicaPort,
  );
  sentinelPort = await freePort();
  const config = join(dir, "sentinel.conf");
  await writeFile(
    config,
    [
      `port ${sentinelPort}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor recorder 127.0.0.1 ${master.port} 1`,
      "sentinel down-after-milliseconds recorder 1000",
      "sentinel failover-timeout recorder 5000",
      "",
    ].join("\n"),
  );
  sentinel = await startRedis([config, "--sentinel"], sentinelPort);
  // The sentinel has found the replica (needed before a failover can pick it).
  const probe = createRedisClient(`redis://127.0.0.1:${sentinelPort}`, { maxRetriesPerRequest: 1 });
  connections.push(probe);
  await eventually(
    async () => (((await probe.call("SENTINEL", "REPLICAS", "recorder")) as unknown[]).length > 0 ? true : undefined),
    15_000,
    "the sentinel to see the replica",
  );
});
afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  for (const child of [sentinel, replica]) child?.kill("SIGKILL");
  await master?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const portOf = async (redis: RedisClient) => Number(/tcp_port:(\d+)/.exec(await redis.info("server"))?.[1]);

describe("Redis through Sentinel", () => {
  it("finds the master, runs BullMQ jobs, and follows a failover to the new master", async () => {
    const redis = createRedisClient(`redis+sentinel://127.0.0.1:${sentinelPort}/recorder`, {
      maxRetriesPerRequest: null,
    });
    connections.push(redis);
    expect(await portOf(redis)).toBe(master.port);

    const queues = createQueues(redis, "sentinel-test");
    const done: string[] = [];
    const worker = new Worker(sweepGaps.queue, async (job) => void done.push(job.name), {
      connection: redis,
      prefix: queueKeyPrefix("sentinel-test", sweepGaps.queue),
    });
    try {
      await queues.enqueue(sweepGaps, {});
      await eventually(() => (done.length === 1 ? true : undefined), 10_000, "a job run over Sentinel");

      await redis.set("sentinel-test:before", "1");
      // Replication is asynchronous: a failover loses writes the replica has not received (docs/redis.md "Tests").
      expect(await redis.call("WAIT", 1, 5000)).toBe(1);
      const admin = createRedisClient(`redis://127.0.0.1:${sentinelPort}`, { maxRetriesPerRequest: 1 });
      connections.push(admin);
      await admin.call("SENTINEL", "FAILOVER", "recorder");
      // Writes carry on, now on the former replica.
      await eventually(
        async () => {
          try {
            await redis.set("sentinel-test:after", "1");
            return (await portOf(redis)) === replicaPort ? true : undefined;
          } catch {
            return undefined;
          }
        },
        30_000,
        "writes on the new master",
      );
      expect(await redis.get("sentinel-test:before")).toBe("1");
      await queues.enqueue(sweepGaps, {});
      await eventually(() => (done.length === 2 ? true : undefined), 15_000, "a job run after the failover");
    } finally {
      await worker.close();
      await queues.close();
    }
  });
});
