// `recorder events quarantine list | replay | drop`: events the relay set aside are listed with their reasons,
// replayed after a fix (back through the relay, set aside again if still broken), or dropped, each audited.
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { quarantineListCommand, quarantineSettleCommand } from "../../src/cli/events-commands.js";
import { outboxKeys } from "../../src/intake/outbox.js";
import { parseDelivery } from "../../src/intake/parse.js";
import { listQuarantine, type QuarantineRecord } from "../../src/intake/quarantine.js";
import { createRedisEventSink } from "../../src/intake/sink.js";
import { createLogger } from "../../src/log.js";
import { createQueues, QueueName, queueKeyPrefix, type Queues } from "../../src/queues/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import { startOutboxRelay, type OutboxRelay } from "../../workers/outbox-relay.js";
import * as documented from "../fixtures/documented-events.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";
import { eventually } from "../support/stack.js";

const logger = createLogger("silent", "test");
const allowed = [".asm.skype.com"];

/** A body as Event Grid sends it, accepted by intake's own validation. */
function accepted(json: string) {
  const parsed = parseDelivery(JSON.parse(json), { recordingHostSuffixes: allowed });
  if (parsed.kind !== "events") throw new Error("expected events");
  return { events: parsed.events, body: Buffer.from(json) };
}

describe.each(redisTargets)("recorder events quarantine on %s", (_label, target) => {
  const prefix = `${inject("runId")}:quarantine-${randomBytes(4).toString("hex")}`;
  let redis: RedisClient;
  let queues: Queues;
  let queue: Queue;
  let relay: OutboxRelay | undefined;
  const lines: string[] = [];
  const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
  const run = async (command: () => Promise<number>) => {
    lines.length = 0;
    return command();
  };

  beforeAll(() => {
    redis = connectTarget(target);
    queues = createQueues(redis, prefix);
    queue = new Queue(QueueName.callEvents, {
      connection: redis,
      prefix: queueKeyPrefix(prefix, QueueName.callEvents),
    });
  });
  afterAll(async () => {
    await relay?.close();
    await queue.close();
    await queues.close();
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  const queued = async () =>
    (await queue.getJobs(["wait"])).map((job) => (job.data as { event: { id: string } }).event.id);
  const quarantined = () => listQuarantine(redis, prefix);

  it("lists what was set aside and why, replays it after the fix, drops what cannot be fixed, and audits both", async () => {
    const sink = createRedisEventSink(redis, prefix);
    await sink.accept(
      "eventgrid",
      accepted(JSON.stringify([{ ...documented.recordingFileStatusUpdated, id: "moved-1" }])),
    );
    let nested = "1";
    for (let i = 0; i < 5000; i++) nested = `{"a":${nested}}`;
    const poison = JSON.stringify({
      ...documented.callStarted,
      id: "poison-1",
      data: { ...documented.callStarted.data, extra: "@" },
    }).replace('"@"', nested);
    await sink.accept(
      "eventgrid",
      accepted(`[${poison},${JSON.stringify({ ...documented.callStarted, id: "fine-1" })}]`),
    );

    // A relay whose allowlist was narrowed by mistake: the recording event no longer validates.
    relay = startOutboxRelay(redis, queues, prefix, logger, { recordingHostSuffixes: [".example.net"] });
    await eventually(async () => ((await quarantined()).length === 2 ? true : undefined), 10_000, "two set aside");
    await eventually(async () => ((await queued()).includes("fine-1") ? true : undefined), 10_000, "fine-1 queued");
    await relay.close();

    expect(await run(() => quarantineListCommand(redis, prefix, {}, io))).toBe(1);
    const text = lines.join("\n");
    expect(text).toMatch(/moved-1 {2}Microsoft\.Communication\.RecordingFileStatusUpdated .*host not allowed/);
    expect(text).toMatch(
      /poison-1 {2}Microsoft\.Communication\.CallStarted {2}call=\S+ {2}RangeError: Maximum call stack/,
    );
    expect(text).toContain("2 quarantined deliveries");
    await run(() => quarantineListCommand(redis, prefix, { json: true }, io));
    const records = lines.map((line) => JSON.parse(line) as QuarantineRecord);
    const moved = records.find((record) => record.stage === "read")!;
    const stuck = records.find((record) => record.stage === "queue")!;
    expect(moved.events.map((event) => event.id)).toEqual(["moved-1"]);
    expect(stuck.events.map((event) => event.id)).toEqual(["poison-1"]);

    // The allowlist fixed: the recording event is replayed and queued.
    relay = startOutboxRelay(redis, queues, prefix, logger, { recordingHostSuffixes: allowed });
    const fixed = { by: "ops-alice", note: "allowlist restored" };
    expect(await run(() => quarantineSettleCommand(redis, prefix, "replay", moved.id, fixed, io))).toBe(0);
    expect(lines[0]).toContain("1 event(s) back in the outbox (moved-1)");
    await eventually(async () => ((await queued()).includes("moved-1") ? true : undefined), 10_000, "moved-1 queued");

    // Still too deep: replayed, it is set aside again (a new record), never lost and never blocking.
    expect(await run(() => quarantineSettleCommand(redis, prefix, "replay", stuck.id, { by: "ops-alice" }, io))).toBe(
      0,
    );
    const again = await eventually(
      async () => (await quarantined()).find((record) => record.id !== stuck.id),
      10_000,
      "poison-1 set aside again",
    );
    expect(again.events).toEqual([
      expect.objectContaining({ id: "poison-1", reason: expect.stringMatching(/RangeError/) }),
    ]);
    expect((await quarantined()).map((record) => record.id)).toEqual([again.id]);
    expect(await redis.xlen(outboxKeys(prefix).stream)).toBe(0);

    expect(await run(() => quarantineSettleCommand(redis, prefix, "drop", again.id, { by: "ops-bob" }, io))).toBe(2);
    expect(lines[0]).toMatch(/^ERR drop needs --note/);
    const why = { by: "ops-bob", note: "test event from a misconfigured sender" };
    expect(await run(() => quarantineSettleCommand(redis, prefix, "drop", again.id, why, io))).toBe(0);
    expect(await run(() => quarantineSettleCommand(redis, prefix, "drop", again.id, why, io))).toBe(1);
    expect(lines[0]).toMatch(/is not in the quarantine/);
    expect(await run(() => quarantineListCommand(redis, prefix, {}, io))).toBe(0);
    expect(lines).toEqual(["the quarantine is empty"]);

    await run(() => quarantineListCommand(redis, prefix, { audit: true, json: true }, io));
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ action: "replay", record: moved.id, events: ["moved-1"], ...fixed }),
      expect.objectContaining({ action: "replay", record: stuck.id, events: ["poison-1"], by: "ops-alice", note: "" }),
      expect.objectContaining({
        action: "drop",
        record: again.id,
        events: ["poison-1"],
        reason: expect.stringMatching(/RangeError/),
        bodySha256: again.bodySha256,
        ...why,
      }),
    ]);
  }, 60_000);
});
