import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching, keysMatching } from "../../scripts/local-stack/services.js";
import { OUTBOX_GROUP, outboxKeys } from "../../src/intake/outbox.js";
import { parseDelivery } from "../../src/intake/parse.js";
import { listQuarantine } from "../../src/intake/quarantine.js";
import { eventsQuarantined } from "../../src/metrics.js";
import type { AcsEvent } from "../../src/intake/schemas.js";
import { createRedisEventSink, type AcceptedDelivery } from "../../src/intake/sink.js";
import { createLogger } from "../../src/log.js";
import { Priority, QueueName, callEvent, createQueues, queueKeyPrefix } from "../../src/queues/index.js";
import { dataNodes, type RedisClient } from "../../src/redis/index.js";
import { createRedisSessionStore, type OnceStep } from "../../src/sessions/index.js";
import { startOutboxRelay } from "../../workers/outbox-relay.js";
import * as documented from "../fixtures/documented-events.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";
import { eventually } from "../support/stack.js";

const logger = createLogger("silent", "test");

const recordingHostSuffixes = [".asm.skype.com"];

/** intake_events_quarantined_total{stage} so far (this process's registry). */
const quarantinedCount = async (stage: string) =>
  (await eventsQuarantined.get()).values.find((value) => value.labels.stage === stage)?.value ?? 0;

/** A validated Event Grid delivery of CallStarted events with these ids, and its body as sent. */
function delivery(...ids: string[]): AcceptedDelivery {
  const body = Buffer.from(JSON.stringify(ids.map((id) => ({ ...documented.callStarted, id }))));
  const parsed = parseDelivery(JSON.parse(body.toString()), { recordingHostSuffixes });
  if (parsed.kind !== "events") throw new Error("expected events");
  return { events: parsed.events, body };
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
    async function queuedEventIds(prefix: string): Promise<string[]> {
      const queue = new Queue(QueueName.callEvents, {
        connection: redis,
        prefix: queueKeyPrefix(prefix, QueueName.callEvents),
      });
      closers.push(() => queue.close());
      const jobs = await queue.getJobs(["wait"]);
      return jobs.map((job) => (job.data as { event: AcsEvent }).event.id).sort();
    }

    it("the same event delivered 5 times is stored once and becomes one job", async () => {
      const { prefix, queues, waiting, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await sink.accept("eventgrid", delivery("dup-1")));
      expect(results).toEqual([
        { accepted: 1, duplicates: 0, stored: [true] },
        ...Array.from({ length: 4 }, () => ({ accepted: 0, duplicates: 1, stored: [false] })),
      ]);
      expect(await redis.xlen(keys.stream)).toBe(1);

      const relay = startOutboxRelay(redis, queues, prefix, logger, { recordingHostSuffixes });
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 1 ? true : undefined), 5_000, "one queued job");
      await eventually(async () => ((await redis.xlen(keys.stream)) === 0 ? true : undefined), 5_000, "stream emptied");
    });

    it("stores the body exactly as received, and only the events that were new become jobs", async () => {
      const { prefix, queues, waiting, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      await sink.accept("eventgrid", delivery("mixed-1"));
      const batch = delivery("mixed-1", "mixed-2", "mixed-3");
      expect(await sink.accept("eventgrid", batch)).toEqual({
        accepted: 2,
        duplicates: 1,
        stored: [false, true, true],
      });
      const entries = (await redis.xrange(keys.stream, "-", "+")) as [string, string[]][];
      const last = entries.at(-1)![1];
      expect(last[last.indexOf("body") + 1]).toBe(batch.body.toString());
      expect(JSON.parse(last[last.indexOf("fresh") + 1]!)).toEqual(["mixed-2", "mixed-3"]);

      const relay = startOutboxRelay(redis, queues, prefix, logger, { recordingHostSuffixes });
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 3 ? true : undefined), 5_000, "three queued jobs");
      expect(await queuedEventIds(prefix)).toEqual(["mixed-1", "mixed-2", "mixed-3"]);
    });

    it("a CallParticipantAdded for someone the session already counts makes no job; one for someone new does", async () => {
      const { prefix, queues, waiting } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const serverCallId = documented.participantAdded.data.serverCallId;
      await sessions.addFacts(serverCallId, { participants: ["8:acs:r_2"] });
      const added = (id: string, rawId: string) => ({
        ...documented.participantAdded,
        id,
        data: {
          ...documented.participantAdded.data,
          user: { ...documented.participantAdded.data.user, communicationIdentifier: { rawId } },
        },
      });
      const body = Buffer.from(JSON.stringify([added("known-1", "8:acs:r_2"), added("new-1", "8:acs:r_3")]));
      const parsed = parseDelivery(JSON.parse(body.toString()), { recordingHostSuffixes });
      if (parsed.kind !== "events") throw new Error("expected events");
      await createRedisEventSink(redis, prefix).accept("eventgrid", { events: parsed.events, body });

      const relay = startOutboxRelay(redis, queues, prefix, logger, { recordingHostSuffixes, sessions });
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 1 ? true : undefined), 5_000, "one queued job");
      expect(await queuedEventIds(prefix)).toEqual(["new-1"]);
      // Without a session store (as before), both make jobs.
      const other = fresh();
      await createRedisEventSink(redis, other.prefix).accept("eventgrid", { events: parsed.events, body });
      const plain = startOutboxRelay(redis, other.queues, other.prefix, logger, { recordingHostSuffixes });
      closers.push(() => plain.close());
      await eventually(async () => ((await other.waiting()) === 2 ? true : undefined), 5_000, "two queued jobs");
    });

    it("a join after Event Grid said the participant left is news: it makes a job (scope follows presence)", async () => {
      const { prefix, queues, waiting } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const serverCallId = documented.participantAdded.data.serverCallId;
      await sessions.addFacts(serverCallId, { participants: ["8:acs:r_2"] });
      await sessions.addPresence(serverCallId, "event-grid:left-1", {
        source: "event-grid",
        change: "left",
        participant: "8:acs:r_2",
        at: "2026-12-04T10:00:10Z",
      });
      const rejoined = {
        ...documented.participantAdded,
        id: "rejoined-1",
        data: {
          ...documented.participantAdded.data,
          user: { ...documented.participantAdded.data.user, communicationIdentifier: { rawId: "8:acs:r_2" } },
        },
      };
      const body = Buffer.from(JSON.stringify([rejoined]));
      const parsed = parseDelivery(JSON.parse(body.toString()), { recordingHostSuffixes });
      if (parsed.kind !== "events") throw new Error("expected events");
      await createRedisEventSink(redis, prefix).accept("eventgrid", { events: parsed.events, body });
      const relay = startOutboxRelay(redis, queues, prefix, logger, { recordingHostSuffixes, sessions });
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 1 ? true : undefined), 5_000, "one queued job");
      expect(await queuedEventIds(prefix)).toEqual(["rejoined-1"]);
    });

    it("an entry the relay can no longer accept (allowlist changed) is set aside with its reason, not dropped", async () => {
      const { prefix, queues, waiting, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      const recording = { ...documented.recordingFileStatusUpdated, id: "moved-host-1" };
      const body = Buffer.from(JSON.stringify([recording]));
      const parsed = parseDelivery(JSON.parse(body.toString()), { recordingHostSuffixes });
      if (parsed.kind !== "events") throw new Error("expected events");
      await sink.accept("eventgrid", { events: parsed.events, body });
      await sink.accept("eventgrid", delivery("still-fine-1"));

      const before = await quarantinedCount("read");
      const relay = startOutboxRelay(redis, queues, prefix, logger, { recordingHostSuffixes: [".example.net"] });
      closers.push(() => relay.close());
      await eventually(async () => ((await redis.xlen(keys.quarantine)) === 1 ? true : undefined), 5_000, "set aside");
      expect((await quarantinedCount("read")) - before).toBe(1);
      await eventually(async () => ((await waiting()) === 1 ? true : undefined), 5_000, "the other one queued");
      const [, fields] = ((await redis.xrange(keys.quarantine, "-", "+")) as [string, string[]][])[0]!;
      expect(fields[fields.indexOf("reason") + 1]).toMatch(/contentLocation: host not allowed/);
      expect(fields[fields.indexOf("body") + 1]).toBe(body.toString());
    });

    it("a poison event amid valid ones is quarantined with its reason and alerted, and every valid one is queued", async () => {
      const { prefix, queues, waiting, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      // Accepted at intake (the schemas keep unknown fields), but too deep for BullMQ to serialise (issue 15 #3).
      let nested = "1";
      for (let i = 0; i < 5000; i++) nested = `{"a":${nested}}`;
      const poison = JSON.stringify({
        ...documented.callStarted,
        id: "poison-1",
        data: { ...documented.callStarted.data, extra: "@nested@" },
      }).replace('"@nested@"', nested);
      const valid = (id: string) => JSON.stringify({ ...documented.callStarted, id });
      const mixedBody = Buffer.from(`[${valid("amid-1")},${poison},${valid("amid-2")}]`);
      const mixed = parseDelivery(JSON.parse(mixedBody.toString()), { recordingHostSuffixes });
      if (mixed.kind !== "events") throw new Error("expected events");
      await sink.accept("eventgrid", delivery("before-1", "before-2"));
      expect(await sink.accept("eventgrid", { events: mixed.events, body: mixedBody })).toMatchObject({ accepted: 3 });
      await sink.accept("eventgrid", delivery("after-1"));

      const before = await quarantinedCount("queue");
      const lines: Record<string, unknown>[] = [];
      const capture = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
      const relay = startOutboxRelay(redis, queues, prefix, createLogger("warn", "test", capture), {
        recordingHostSuffixes,
      });
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 5 ? true : undefined), 10_000, "every valid event queued");
      await eventually(async () => ((await redis.xlen(keys.stream)) === 0 ? true : undefined), 5_000, "outbox emptied");
      expect(await queuedEventIds(prefix)).toEqual(["after-1", "amid-1", "amid-2", "before-1", "before-2"]);

      const [record, ...others] = await listQuarantine(redis, prefix);
      expect(others).toEqual([]);
      expect(record).toMatchObject({
        stage: "queue",
        channel: "eventgrid",
        events: [
          {
            id: "poison-1",
            type: "Microsoft.Communication.CallStarted",
            serverCallId: documented.callStarted.data.serverCallId,
            reason: expect.stringMatching(/RangeError: Maximum call stack size exceeded/) as string,
          },
        ],
        bodyBytes: mixedBody.length,
      });
      // The body exactly as received, for a replay after a fix.
      const [, fields] = ((await redis.xrange(keys.quarantine, "-", "+")) as [string, string[]][])[0]!;
      expect(fields[fields.indexOf("body") + 1]).toBe(mixedBody.toString());
      expect((await quarantinedCount("queue")) - before).toBe(1);
      expect(lines.filter((line) => line.alert === "intake-event-quarantined")).toEqual([
        expect.objectContaining({ event: "poison-1", stage: "queue", quarantine: record!.id }),
      ]);
    });

    it("a batch is stored whole, and de-duplicated per event", async () => {
      const { prefix, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      await sink.accept("eventgrid", delivery("batch-1"));
      expect(await sink.accept("eventgrid", delivery("batch-1", "batch-2"))).toEqual({
        accepted: 1,
        duplicates: 1,
        stored: [false, true],
      });
      expect(await sink.accept("eventgrid", delivery("batch-1", "batch-2"))).toMatchObject({ accepted: 0 });
      expect(await redis.xlen(keys.stream)).toBe(2);
    });

    it("deliveries arriving together are stored together, and an id twice among them is stored once", async () => {
      const { prefix, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      const results = await Promise.all([
        sink.accept("eventgrid", delivery("together-1", "together-2")),
        sink.accept("eventgrid", delivery("together-2", "together-3")),
        sink.accept("eventgrid", delivery("together-1")),
        sink.accept("callback", delivery("together-1")),
      ]);
      expect(results.map((r) => r.stored)).toEqual([[true, true], [false, true], [false], [true]]);
      expect(await redis.xlen(keys.stream)).toBe(3);
      expect(await redis.ttl(keys.seen("eventgrid", "together-3"))).toBeGreaterThan(24 * 3600);
    });

    it("a group with one id seen before asks each id: only that one is a duplicate, the rest are stored", async () => {
      const { prefix, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      await sink.accept("eventgrid", delivery("retry-1"));
      const results = await Promise.all([
        sink.accept("eventgrid", delivery("group-1", "retry-1", "group-2")),
        sink.accept("eventgrid", delivery("group-3")),
        sink.accept("eventgrid", delivery("group-2", "group-4")),
      ]);
      expect(results.map((r) => r.stored)).toEqual([[true, false, true], [true], [false, true]]);
      expect(await redis.xlen(keys.stream)).toBe(4);
    });

    it("a group of more ids than one EXISTS takes still finds the one seen before, and stores the rest", async () => {
      const { prefix, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      await sink.accept("eventgrid", delivery("many-2500"));
      const ids = Array.from({ length: 4001 }, (_, index) => `many-${index}`);
      const result = await sink.accept("eventgrid", delivery(...ids));
      expect(result).toMatchObject({ accepted: 4000, duplicates: 1 });
      expect(result.stored.indexOf(false)).toBe(2500);
      expect(await redis.exists(keys.seen("eventgrid", "many-4000"))).toBe(1);
      expect(await redis.xlen(keys.stream)).toBe(2);
    });

    it("a Redis failure fails every delivery waiting with it, so each is answered 5xx and retried", async () => {
      const { prefix } = fresh();
      const broken = new Redis(inject("redisUrl"), { lazyConnect: true, maxRetriesPerRequest: 0 });
      broken.disconnect(); // never connected: commands are refused at once
      const sink = createRedisEventSink(broken, prefix);
      const outcomes = await Promise.allSettled([
        sink.accept("eventgrid", delivery("lost-1")),
        sink.accept("eventgrid", delivery("lost-2")),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    });

    it("the same id on another channel is another event", async () => {
      const { prefix } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      expect(await sink.accept("eventgrid", delivery("shared-id"))).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(await sink.accept("callback", delivery("shared-id"))).toMatchObject({ accepted: 1, duplicates: 0 });
    });

    it("entries read by a relay that died before queueing them are taken over by another relay", async () => {
      const { prefix, queues, waiting, keys } = fresh();
      const sink = createRedisEventSink(redis, prefix);
      await sink.accept("eventgrid", delivery("orphan-1", "orphan-2"));
      // A relay reads the entries, then dies before queueing them: they stay pending in its name.
      await redis.xgroup("CREATE", keys.stream, OUTBOX_GROUP, "0", "MKSTREAM");
      await redis.xreadgroup("GROUP", OUTBOX_GROUP, "dead-relay", "COUNT", 10, "STREAMS", keys.stream, ">");
      expect(await waiting()).toBe(0);

      const relay = startOutboxRelay(redis, queues, prefix, logger, {
        recordingHostSuffixes,
        claimIdleMs: 200,
        consumer: "survivor",
      });
      closers.push(() => relay.close());
      await eventually(async () => ((await waiting()) === 2 ? true : undefined), 5_000, "two queued jobs");
    });

    it("an entry queued twice (relay died after queueing, before acknowledging) is still one job", async () => {
      const { prefix, queues, waiting } = fresh();
      const [event] = delivery("twice-1").events;
      const payload = { event: event!, receivedAt: new Date().toISOString(), channel: "eventgrid" as const };
      await queues.enqueueMany(callEvent, [payload]);
      await queues.enqueueMany(callEvent, [payload]);
      expect(await waiting()).toBe(1);
      expect(prefix).toBeTruthy();
    });

    it("presence lists wait behind the events on the way to a recording (queued with a priority, the rest without)", async () => {
      const { prefix, queues, waiting } = fresh();
      const [connected] = delivery("connected-1").events;
      const list = {
        id: "list-1",
        type: "Microsoft.Communication.ParticipantsUpdated",
        subject: "calling/callConnections/conn-1",
        time: new Date().toISOString(),
        data: {
          callConnectionId: "conn-1",
          serverCallId: "c2VydmVyLWNhbGw=",
          correlationId: "corr-1",
          sequenceNumber: 1,
          participants: [],
        },
      } as unknown as AcsEvent;
      const receivedAt = new Date().toISOString();
      await queues.enqueueMany(callEvent, [
        { event: list, receivedAt, channel: "callback" },
        { event: connected!, receivedAt, channel: "eventgrid" },
      ]);
      const queue = new Queue(QueueName.callEvents, {
        connection: redis,
        prefix: queueKeyPrefix(prefix, QueueName.callEvents),
      });
      closers.push(() => queue.close());
      // BullMQ serves waiting jobs (no priority) before prioritised ones.
      expect(await waiting()).toBe(1);
      const prioritised = await queue.getJobs(["prioritized"]);
      expect(prioritised.map((job) => [(job.data as { event: AcsEvent }).event.type, job.priority])).toEqual([
        ["Microsoft.Communication.ParticipantsUpdated", Priority.routine],
      ]);
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

    it("settles a decision and its steps in one transaction: claims held by their owner, the decision by CAS", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const decision = { record: false as const, reason: "no-team-member" as const, explanation: "from version 3" };
      const first = await sessions.settle("call-settle", {
        decision,
        factsVersion: 3,
        pinPolicySet: "set-a",
        claims: ["connect", "enforce-start"],
        owner: "event:e1",
      });
      expect([...first].sort()).toEqual(["connect", "enforce-start"]);
      // Another event of the call gets neither step, nor stores its decision from older facts, nor re-pins.
      const second = await sessions.settle("call-settle", {
        decision: { ...decision, explanation: "from version 2" },
        factsVersion: 2,
        pinPolicySet: "set-b",
        claims: ["connect", "enforce-start", "announce"],
        owner: "event:e2",
      });
      expect([...second]).toEqual(["announce"]);
      // The first event's redelivery holds its steps again; a plain claim of them is refused.
      const again = await sessions.settle("call-settle", {
        decision,
        factsVersion: 3,
        claims: ["connect"],
        owner: "event:e1",
      });
      expect([...again]).toEqual(["connect"]);
      expect(await sessions.claim("call-settle", "connect")).toBe(false);
      const session = await sessions.get("call-settle");
      expect(session.decision?.explanation).toBe("from version 3");
      expect(session.policySetHash).toBe("set-a");
    });

    it("a tally step is held by the first settlement that names it only, whoever settles again", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const decision = { record: false as const, reason: "no-team-member" as const, explanation: "x" };
      const settle = (owner: string, tally: OnceStep) =>
        sessions.settle("call-tally", { decision, factsVersion: 1, claims: ["connect"], owner, tally });
      expect([...(await settle("event:e1", "decided:no:no-team-member"))].sort()).toEqual([
        "connect",
        "decided:no:no-team-member",
      ]);
      // The same event redelivered, and another event: neither counts the outcome again.
      expect([...(await settle("event:e1", "decided:no:no-team-member"))]).toEqual(["connect"]);
      expect([...(await settle("event:e2", "decided:no:no-team-member"))]).toEqual([]);
      // A new outcome of the same call counts once.
      expect([...(await settle("event:e3", "decided:yes:required"))]).toEqual(["decided:yes:required"]);
    });

    it("concurrent settlements of one step: exactly one owner holds it", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const decision = { record: false as const, reason: "no-team-member" as const, explanation: "x" };
      const held = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          sessions.settle("call-race", { decision, factsVersion: 1, claims: ["connect"], owner: `event:e${i}` }),
        ),
      );
      expect(held.filter((steps) => steps.has("connect"))).toHaveLength(1);
    });

    it("returns the session as the added facts and a connection leave it", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      await sessions.addFacts("call-read", { participants: ["8:acs:a"], correlationId: "c-9" });
      const afterFacts = await sessions.addFacts("call-read", { participants: ["8:acs:b"], started: true });
      expect(afterFacts).toEqual(await sessions.get("call-read"));
      expect(afterFacts).toMatchObject({ participants: ["8:acs:a", "8:acs:b"], started: true, factsVersion: 2 });
      await sessions.setOwnConnection("call-read", "conn-1");
      const connected = await sessions.noteConnected("call-read", "conn-1");
      expect(connected).toMatchObject({ callConnectionId: "conn-1", correlationId: "c-9", factsVersion: 2 });
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
      const decision = { record: false as const, reason: "no-team-member" as const, explanation: "x" };
      const pin = (set: string) =>
        sessions.settle("call-pin", { decision, factsVersion: 1, pinPolicySet: set, claims: [], owner: "event:e" });
      await pin("set-a");
      expect((await sessions.get("call-pin")).policySetHash).toBe("set-a");
      await pin("set-b");
      expect((await sessions.get("call-pin")).policySetHash).toBe("set-a");
    });

    it("keeps the decision computed from the newest facts (compare-and-set on the facts version)", async () => {
      const { prefix } = fresh();
      const sessions = createRedisSessionStore(redis, prefix);
      const newer = { record: false as const, reason: "no-team-member" as const, explanation: "from version 3" };
      const older = { ...newer, explanation: "from version 2" };
      const store = (decision: typeof newer, factsVersion: number) =>
        sessions.settle("call-cas", { decision, factsVersion, claims: [], owner: "event:e" });
      await store(newer, 3);
      expect((await sessions.get("call-cas")).decision?.explanation).toBe("from version 3");
      await store(older, 2);
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
