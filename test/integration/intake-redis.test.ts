import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { parseDelivery } from "../../src/intake/parse.js";
import { createRedisEventSink } from "../../src/intake/sink.js";
import { QueueName, createQueues, type Queues } from "../../src/queues/index.js";
import { createRedisSessionStore } from "../../src/sessions/index.js";
import * as documented from "../fixtures/documented-events.js";

let redis: Redis;
let queues: Queues;
const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;

beforeAll(() => {
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  queues = createQueues(redis, prefix);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await queues.close();
  redis.disconnect();
});

describe("Redis event sink", () => {
  it("the same event delivered 5 times is enqueued once", async () => {
    const sink = createRedisEventSink(redis, queues, prefix);
    const delivery = parseDelivery([{ ...documented.callStarted, id: `dup-${randomBytes(4).toString("hex")}` }], {
      recordingHostSuffixes: [".asm.skype.com"],
    });
    if (delivery.kind !== "events") throw new Error("expected events");
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await sink.accept("eventgrid", delivery.events));
    expect(results.map((r) => r.accepted)).toEqual([1, 0, 0, 0, 0]);
    expect(results.map((r) => r.duplicates)).toEqual([0, 1, 1, 1, 1]);
    const queue = new Queue(QueueName.callEvents, { connection: redis, prefix: `${prefix}:bull` });
    expect(await queue.getJobCounts("wait", "prioritized", "delayed")).toMatchObject({ wait: 1 });
    await queue.close();
  });

  it("forgets the event id when enqueueing fails, so the sender's retry is not taken for a duplicate", async () => {
    const failing: Queues = { ...queues, enqueue: async () => Promise.reject(new Error("queue down")) };
    const sink = createRedisEventSink(redis, failing, prefix);
    const delivery = parseDelivery([{ ...documented.callStarted, id: "retry-me" }], { recordingHostSuffixes: [] });
    if (delivery.kind !== "events") throw new Error("expected events");
    await expect(sink.accept("eventgrid", delivery.events)).rejects.toThrow("queue down");
    const retried = await createRedisEventSink(redis, queues, prefix).accept("eventgrid", delivery.events);
    expect(retried).toEqual({ accepted: 1, duplicates: 0 });
  });
});

describe("Redis session store", () => {
  it("grants each once-per-call step to exactly one of many concurrent claimants", async () => {
    const sessions = createRedisSessionStore(redis, prefix);
    const results = await Promise.all(Array.from({ length: 20 }, () => sessions.claim("call-claim", "connect")));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await sessions.claim("call-claim", "start-recording")).toBe(true);
  });

  it("accumulates facts from events in any order", async () => {
    const sessions = createRedisSessionStore(redis, prefix);
    await sessions.addFacts("call-facts", { participants: ["8:acs:b"], started: true });
    await sessions.addFacts("call-facts", { correlationId: "c-1", participants: ["8:acs:a", "8:acs:b"] });
    expect(await sessions.get("call-facts")).toMatchObject({
      correlationId: "c-1",
      participants: ["8:acs:a", "8:acs:b"],
      started: true,
      ended: false,
    });
    expect(await redis.ttl(`${prefix}:call:{call-facts}`)).toBeGreaterThan(0);
  });
});
