import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching, keysMatching } from "../../scripts/lib/services.js";
import { OUTBOX_GROUP, outboxKeys } from "../../src/intake/outbox.js";
import { parseDelivery } from "../../src/intake/parse.js";
import type { AcsEvent } from "../../src/intake/schemas.js";
import { createRedisEventSink } from "../../src/intake/sink.js";
import { createLogger } from "../../src/log.js";
import { QueueName, createQueues, jobIdFor, queueKeyPrefix } from "../../src/queues/index.js";
import { dataNodes, type RedisClient } from "../../src/redis/index.js";
import { createRedisSessionStore } from "../../src/sessions/index.js";
import { startOutboxRelay } from "../../workers/outbox-relay.js";
import * as documented from "../fixtures/documented-events.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";
import { eventually } from "../support/stack.js";

const logger = createLogger("silent", "test");

function events(id: string): AcsEvent[] {
  const delivery = parseDelivery([{ ...documented.callStarted, id }], { recordingHostSuffixes: [] });
  if (delivery.kind !== "events") throw new Error("expected events");
  return delivery.events;
}

// The same bodies on one server and on a 3-master Redis Cluster (every script and transaction in one slot).
describe.each(redisTargets)("on %s", (_label, target) => {
  let redis: RedisClient;
  const prefixes: string[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  /** A fresh key space per test, so counts are this test's own. */
  function fresh() {
    const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
    prefixes.push(prefix);
    const queues = createQueues(redis, prefix);
    closers.push(() => queues.close());
    const queue = new Queue(QueueName.callEvents, {
      connection: redis,
      prefix: queueKeyPrefix(prefix, QueueName.callEvents),
    });
    closers.push(() => queue.close());
    const waiting = async () => (await queue.getJobCounts("wait")).wait ?? 0;
    return { prefix, queues, waiting, keys: outboxKeys(prefix) };
  }

  beforeAll(() => {
    redis = connectTarget(target);
  });
  afterAll(async () => {
    for (const close of closers) await close();
    for (const prefix of prefixes) await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  describe("intake outbox", () => {
    it("the same event delivered 5 times is stored once and becomes one job", async () => {
      const { prefix, queues, waiting, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await sink.accept("eventgrid", events("dup-1")));
      expect(results).toEqual([
        { accepted: 1, duplicates: 0, stored: [true] },
        ...Array.from({ length: 4 }, () => ({ accepted: 0, duplicates: 1, stored: [false] })),
      ]);
      expect(await redis.xlen(keys.stream)).toBe(1);

      const relay = startOutboxRelay(redis, queues, prefix, logger);
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 1 ? true : undefined), 5_000, "one queued job");
      await eventually(async () => ((await redis.xlen(keys.stream)) === 0 ? true : undefined), 5_000, "stream emptied");
    });

    it("a batch is stored whole, and de-duplicated per event", async () => {
      const { prefix, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      await sink.accept("eventgrid", events("batch-1"));
      const both = [...events("batch-1"), ...events("batch-2")];
      expect(await sink.accept("eventgrid", both)).toEqual({ accepted: 1, duplicates: 1, stored: [false, true] });
      expect(await redis.xlen(keys.stream)).toBe(2);
    });

    it("the same id on another channel is another event", async () => {
      const { prefix } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      expect(await sink.accept("eventgrid", events("shared-id"))).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(await sink.accept("callback", events("shared-id"))).toMatchObject({ accepted: 1, duplicates: 0 });
    });

    it("entries read by a relay that died before queueing them are taken over by another relay", async () => {
      const { prefix, queues, waiting, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      await sink.accept("eventgrid", [...events("orphan-1"), ...events("orphan-2")]);
      // A relay reads the entries, then dies before queueing them: they stay pending in its name.
      await redis.xgroup("CREATE", keys.stream, OUTBOX_GROUP, "0", "MKSTREAM");
      await redis.xreadgroup("GROUP", OUTBOX_GROUP, "dead-relay", "COUNT", 10, "STREAMS", keys.stream, ">");
      expect(await waiting()).toBe(0);

      const relay = startOutboxRelay(redis, queues, prefix, logger, { claimIdleMs: 200, consumer: "survivor" });
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 2 ? true : undefined), 5_000, "two queued jobs");
    });

    it("an entry queued twice (relay died after queueing, before acknowledging) is still one job", async () => {
      const { prefix, queues, waiting } = fresh();
      const [event] = events("twice-1");
      const payload = { event: event!, receivedAt: new Date().toISOString() };
      await queues.enqueueMany("call-event", [{ payload, jobId: jobIdFor("eventgrid", "twice-1") }]);
      await queues.enqueueMany("call-event", [{ payload, jobId: jobIdFor("eventgrid", "twice-1") }]);
      expect(await waiting()).toBe(1);
      expect(prefix).toBeTruthy();
    });
  });

  describe("Redis session store", () => {
    it("grants each once-per-call step to exactly one of many concurrent claimants", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const results = await Promise.all(Array.from({ length: 20 }, () => sessions.claim("call-claim", "connect")));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await sessions.claim("call-claim", "start-recording")).toBe(true);
    });

    it("lets the owner of a claimed step claim it again (its redelivery), and nobody else", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => sessions.claim("call-owner", "connect", `event:e${i}`)),
      );
      const winner = results.indexOf(true);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await sessions.claim("call-owner", "connect", `event:e${winner}`)).toBe(true);
      expect(await sessions.claim("call-owner", "connect", `event:e${(winner + 1) % 10}`)).toBe(false);
      expect(await sessions.claim("call-owner", "connect")).toBe(false);
    });

    it("accumulates facts from events in any order", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      await sessions.addFacts("call-facts", { participants: ["8:acs:b"], started: true });
      await sessions.addFacts("call-facts", { correlationId: "c-1", participants: ["8:acs:a", "8:acs:b"] });
      expect(await sessions.get("call-facts")).toMatchObject({
        correlationId: "c-1",
        participants: ["8:acs:a", "8:acs:b"],
        started: true,
        ended: false,
        factsVersion: 2,
      });
      expect(await redis.ttl(`${prefix}:call:{call-facts}`)).toBeGreaterThan(0);
    });

    it("keeps the earliest start time and prefers IncomingCall's caller, whatever the order", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      await sessions.addFacts("call-order", { startedAt: "2026-11-22T10:00:05.5+00:00", callerHint: "8:acs:starter" });
      await sessions.addFacts("call-order", { startedAt: "2026-11-22T10:00:01Z", caller: "8:acs:caller" });
      await sessions.addFacts("call-order", { startedAt: "2026-11-22T10:00:03Z", callerHint: "8:acs:other" });
      expect(await sessions.get("call-order")).toMatchObject({
        startedAt: "2026-11-22T10:00:01Z",
        caller: "8:acs:caller",
      });
    });

    it("pins a call to the first policy set that decided it", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      expect(await sessions.pinPolicySet("call-pin", "set-a")).toBe("set-a");
      expect(await sessions.pinPolicySet("call-pin", "set-b")).toBe("set-a");
      expect((await sessions.get("call-pin")).policySetHash).toBe("set-a");
    });

    it("keeps the decision computed from the newest facts (compare-and-set on the facts version)", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const newer = { record: false as const, reason: "no-team-member" as const, explanation: "from version 3" };
      const older = { ...newer, explanation: "from version 2" };
      expect(await sessions.setDecision("call-cas", newer, 3)).toBe(true);
      expect(await sessions.setDecision("call-cas", older, 2)).toBe(false);
      expect((await sessions.get("call-cas")).decision?.explanation).toBe("from version 3");
    });
  });

  it("spreads calls over the deployment's servers, and keeps each call's keys together", async () => {
    const { prefix } = fresh();
    const sessions = createRedisSessionStore(redis, prefix);
    for (let i = 0; i < 30; i++) await sessions.addFacts(`spread-${i}`, { participants: ["8:acs:a"], started: true });
    const nodes = await dataNodes(redis);
    const perNode = await Promise.all(nodes.map(async (node) => (await keysMatching(node, `${prefix}:call:*`)).length));
    expect(perNode.reduce((a, b) => a + b, 0)).toBe(60);
    // A cluster really shards: calls land on every master, and a command across two calls' slots is refused.
    if (target === "cluster") {
      expect(nodes).toHaveLength(3);
      expect(perNode.every((count) => count > 0)).toBe(true);
      await expect(redis.del(`${prefix}:call:{spread-0}`, `${prefix}:call:{spread-1}`)).rejects.toThrow(/CROSSSLOT/);
    }
  });
});
