// Redis's eviction policy and persistence, checked at start (src/redis/settings.ts, docs/redis.md), on private
// redis-servers only: one that evicts, one that refuses CONFIG as managed services do, and a Cluster with one
// evicting master. Also: WAIT goes to the Cluster node that took the intake write.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startPrivateRedis,
  startPrivateRedisCluster,
  type PrivateRedis,
  type PrivateRedisCluster,
} from "../../scripts/local-stack/services.js";
import { openRedisForWriting } from "../../src/cli/queues.js";
import { ConfigError } from "../../src/config/index.js";
import { outboxKeys } from "../../src/intake/outbox.js";
import { parseDelivery } from "../../src/intake/parse.js";
import { createRedisEventSink, INTAKE_REDIS_OPTIONS } from "../../src/intake/sink.js";
import {
  checkRedisSettings,
  createRedisClient,
  type RedisClient,
  type RedisClientOptions,
} from "../../src/redis/index.js";
import * as documented from "../fixtures/documented-events.js";

const servers: { stop(): Promise<void> }[] = [];
const clients: RedisClient[] = [];
let dir: string;
let evicting: PrivateRedis;

const connect = (url: string, options: RedisClientOptions = { maxRetriesPerRequest: 1 }) => {
  const client = createRedisClient(url, options);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "redis-settings-"));
  evicting = await startPrivateRedis(undefined, ["--maxmemory-policy", "allkeys-lru"]);
  servers.push(evicting);
});
afterAll(async () => {
  for (const client of clients) client.disconnect();
  for (const server of servers) await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe("Redis settings checked at start", () => {
  it("an evicting policy stops a production process with what to set; elsewhere it is a warning", async () => {
    const redis = connect(evicting.url);
    const error = await checkRedisSettings(redis, {
      production: true,
      durability: { mode: "memory" },
      warn: () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Redis 127\\.0\\.0\\.1:${evicting.port}: maxmemory-policy is allkeys-lru.*maxmemory-policy noeviction`,
        ),
      ),
    ]);

    const warnings: string[] = [];
    const report = await checkRedisSettings(redis, {
      production: false,
      durability: { mode: "aof" },
      warn: (message) => warnings.push(message),
    });
    expect(warnings).toEqual([
      expect.stringContaining("maxmemory-policy is allkeys-lru"),
      expect.stringContaining("INTAKE_DURABILITY=aof needs `appendonly yes`"),
    ]);
    expect(report.nodes).toEqual([
      expect.objectContaining({ maxmemoryPolicy: "allkeys-lru", appendonly: false, appendfsync: "everysec" }),
    ]);
  });

  it("reads the policy and AOF from INFO where CONFIG is refused, as on Azure Cache for Redis", async () => {
    const managed = await startPrivateRedis(undefined, [
      "--rename-command",
      "CONFIG",
      "",
      "--appendonly",
      "yes",
      "--dir",
      dir,
    ]);
    servers.push(managed);
    const report = await checkRedisSettings(connect(managed.url), {
      production: true,
      durability: { mode: "aof" },
      warn: () => undefined,
    });
    expect(report.problems).toEqual([]);
    expect(report.nodes).toEqual([
      expect.objectContaining({
        maxmemoryPolicy: "noeviction",
        appendonly: true,
        configRefused: expect.stringMatching(/unknown command/i) as string,
      }),
    ]);
    expect(report.nodes[0]!.appendfsync).toBeUndefined();
  });

  it("where even INFO is refused, production needs the settings declared (REDIS_DECLARED_SETTINGS)", async () => {
    const hidden = await startPrivateRedis(undefined, [
      "--rename-command",
      "INFO",
      "",
      "--rename-command",
      "CONFIG",
      "",
    ]);
    servers.push(hidden);
    const redis = connect(hidden.url);
    const refused = await checkRedisSettings(redis, { production: true, warn: () => undefined }).catch(
      (e: unknown) => e,
    );
    expect((refused as ConfigError).problems).toEqual([
      expect.stringMatching(/could not read its settings \(INFO failed: ERR unknown command.*REDIS_DECLARED_SETTINGS/),
    ]);
    const report = await checkRedisSettings(redis, {
      production: true,
      declared: { maxmemoryPolicy: "noeviction" },
      warn: () => undefined,
    });
    expect(report.nodes).toEqual([
      expect.objectContaining({ maxmemoryPolicy: "noeviction", declared: ["maxmemory-policy"] }),
    ]);
  });

  it("the webhook and the worker refuse to start in production on an evicting Redis, saying what to set", async () => {
    const env = {
      ...process.env,
      NODE_ENV: "production",
      PUBLIC_BASE_URL: "https://recorder.example.com",
      ACS_CONNECTION_STRING: "endpoint=https://acs.example.communication.azure.com/;accesskey=a2V5",
      ACS_RESOURCE_ID: "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10",
      REDIS_URL: evicting.url,
      BLOB_CONNECTION_STRING: "UseDevelopmentStorage=true",
      EVENTGRID_SECRET: "s1",
      INTAKE_DURABILITY: "memory",
      POLICY_DIR: "policies",
      LOG_LEVEL: "silent",
    };
    const run = (entry: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", entry], { env, stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
        child.once("exit", (code) => resolve({ code, stderr }));
      });
    const [webhook, worker] = await Promise.all([run("src/main.ts"), run("workers/main.ts")]);
    for (const outcome of [webhook, worker]) {
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain(`Redis 127.0.0.1:${evicting.port}: maxmemory-policy is allkeys-lru`);
      expect(outcome.stderr).toContain("set `maxmemory-policy noeviction`");
    }
  }, 60_000);

  it("the CLI checks too before it writes (a quarantine replay or drop), and only warns outside production", async () => {
    const variables = { REDIS_URL: evicting.url, REDIS_PREFIX: "cli-check" };
    await expect(openRedisForWriting({ ...variables, NODE_ENV: "production" }, () => undefined)).rejects.toThrow(
      /maxmemory-policy is allkeys-lru.*set `maxmemory-policy noeviction`/,
    );
    const warnings: string[] = [];
    const opened = await openRedisForWriting(variables, (line) => warnings.push(line));
    opened.close();
    expect(warnings).toEqual([expect.stringMatching(/^warning: Redis .*maxmemory-policy is allkeys-lru/)]);
  });

  describe("on a Redis Cluster", () => {
    let cluster: PrivateRedisCluster;
    beforeAll(async () => {
      cluster = await startPrivateRedisCluster();
      servers.push(cluster);
    }, 60_000);

    it("checks every master and names the one that evicts", async () => {
      const [, second] = cluster.ports;
      const node = new Redis(second!, "127.0.0.1");
      await node.config("SET", "maxmemory-policy", "volatile-lru");
      node.disconnect();
      const error = await checkRedisSettings(connect(cluster.url), {
        production: true,
        durability: { mode: "memory" },
        warn: () => undefined,
      }).catch((e: unknown) => e);
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(new RegExp(`^Redis 127\\.0\\.0\\.1:${second}: maxmemory-policy is volatile-lru`)),
      ]);
      const report = await checkRedisSettings(connect(cluster.url), {
        production: false,
        durability: { mode: "memory" },
        warn: () => undefined,
      });
      expect(report.nodes.map((n) => n.node).sort()).toEqual(cluster.ports.map((p) => `127.0.0.1:${p}`).sort());
    });

    it("replicas:N sends WAIT to the master that took the write, and answers 503 when no replica confirms", async () => {
      const redis = connect(cluster.url, INTAKE_REDIS_OPTIONS);
      const sink = createRedisEventSink(redis, "wait-routing", { mode: "replicas", replicas: 1, timeoutMs: 50 });
      servers.push({ stop: async () => sink.close?.() });
      const body = Buffer.from(JSON.stringify([{ ...documented.callStarted, id: "wait-1" }]));
      const parsed = parseDelivery(JSON.parse(body.toString()), { recordingHostSuffixes: [".asm.skype.com"] });
      if (parsed.kind !== "events") throw new Error("expected events");
      const waits = async () => {
        const counts = new Map<number, number>();
        for (const port of cluster.ports) {
          const node = new Redis(port, "127.0.0.1");
          const stats = await node.info("commandstats");
          node.disconnect();
          counts.set(port, Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0));
        }
        return counts;
      };
      const before = await waits();
      // This Cluster has no replicas: the event is stored, WAIT 1 gets 0 confirmations, the delivery gets 503.
      await expect(sink.accept("eventgrid", { events: parsed.events, body })).rejects.toMatchObject({ status: 503 });
      const slot = Number(await redis.call("CLUSTER", "KEYSLOT", outboxKeys("wait-routing").stream));
      const owner = ((await redis.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][]).find(
        ([from, to]) => from <= slot && slot <= to,
      )![2][1];
      const after = await waits();
      for (const port of cluster.ports)
        expect(after.get(port)! - before.get(port)!, `WAIT calls on ${port}`).toBe(port === owner ? 1 : 0);
      expect(await redis.xlen(outboxKeys("wait-routing").stream)).toBe(1);
    });
  });
});
