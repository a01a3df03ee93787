import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { createLedger, type Ledger } from "../../src/ledger/index.js";
import { createLogger } from "../../src/log.js";
import { QueueName, createQueues, queueKeyPrefix, sweepGaps } from "../../src/queues/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";
import type { WorkerDependencies } from "../../workers/dependencies.js";
import { sweepGapsJob } from "../../workers/jobs/operations/sweep-gaps.js";
import { runJob } from "../support/run-job.js";

describe.each(redisTargets)("the periodic gap sweep on %s", (_label, target) => {
  const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
  let redis: RedisClient;
  let ledger: Ledger;

  beforeAll(() => {
    redis = connectTarget(target);
    ledger = createLedger(redis, prefix);
  });
  afterAll(async () => {
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it("alerts every call that should have a recording and does not, once", async () => {
    const hourAgo = new Date(Date.now() - 3600_000).toISOString();
    await ledger.record({
      serverCallId: "late",
      outcome: "pending",
      reason: "awaiting the recording",
      endedAt: hourAgo,
    });
    await ledger.record({ serverCallId: "broken", outcome: "failed", reason: "chunk 0: HTML body" });
    await ledger.record({ serverCallId: "fine", outcome: "recorded", manifest: "m.json" });
    await ledger.record({ serverCallId: "just-ended", outcome: "pending", endedAt: new Date().toISOString() });
    const deps = {
      ledger,
      logger: createLogger("silent", "test"),
      recordingExpectedWithinMs: 60_000,
    } as unknown as WorkerDependencies;

    expect(await runJob(sweepGapsJob, deps, {})).toEqual({ gaps: 2, alerted: 2 });
    expect(await runJob(sweepGapsJob, deps, {})).toEqual({ gaps: 2, alerted: 0 });
    expect((await ledger.get("late"))?.actions).toMatchObject([{ trigger: "after-call", action: "alert" }]);
    expect((await ledger.get("broken"))?.actions?.[0]?.reason).toContain("recording failed: chunk 0: HTML body");
    expect((await ledger.get("fine"))?.actions).toBeUndefined();
    expect((await ledger.get("just-ended"))?.actions).toBeUndefined();
  });

  it("is scheduled once, whatever the number of workers that ask", async () => {
    const queues = createQueues(redis, prefix);
    await queues.schedule(sweepGaps, {}, 300_000);
    await queues.schedule(sweepGaps, {}, 300_000);
    const operations = new Queue(QueueName.operations, {
      connection: redis,
      prefix: queueKeyPrefix(prefix, QueueName.operations),
    });
    const schedulers = await operations.getJobSchedulers();
    expect(schedulers.map((s) => [s.name, s.every])).toEqual([["sweep-gaps", 300_000]]);
    await operations.close();
    await queues.close();
  });
});
