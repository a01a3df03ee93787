// REDIS_URL=redis+sentinel://…: the app finds the master through Sentinel (a private master and Sentinel here).
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startPrivateRedis,
  startPrivateSentinel,
  type PrivateRedis,
  type PrivateSentinel,
} from "../../scripts/lib/services.js";
import { createLedger } from "../../src/ledger/index.js";
import { createRedisClient, type RedisClient } from "../../src/redis/index.js";
import { createRedisSessionStore } from "../../src/sessions/index.js";

let master: PrivateRedis;
let sentinel: PrivateSentinel;
let viaSentinel: RedisClient;
let direct: Redis;

beforeAll(async () => {
  master = await startPrivateRedis();
  sentinel = await startPrivateSentinel(master.port, "recorder");
  viaSentinel = createRedisClient(sentinel.url, { maxRetriesPerRequest: 3 });
  direct = new Redis(master.url);
});
afterAll(async () => {
  viaSentinel?.disconnect();
  direct?.disconnect();
  await sentinel?.stop();
  await master?.stop();
});

describe("Redis through Sentinel", () => {
  it("claims and ledger entries go to the master that Sentinel names", async () => {
    const prefix = `sentinel-${randomBytes(4).toString("hex")}`;
    const sessions = createRedisSessionStore(viaSentinel, prefix);
    expect(await sessions.claim("call-s", "connect")).toBe(true);
    expect(await sessions.claim("call-s", "connect")).toBe(false);
    await createLedger(viaSentinel, prefix).record({ serverCallId: "call-s", outcome: "pending" });
    // Written on the master itself, not on the Sentinel.
    expect(await direct.hexists(`${prefix}:call:{call-s}`, "once:connect")).toBe(1);
    expect(await direct.hget(`${prefix}:ledger:{call-s}`, "outcome")).toBe("pending");
    expect(await viaSentinel.info("server")).toMatch(new RegExp(`tcp_port:${master.port}`));
  });
});
