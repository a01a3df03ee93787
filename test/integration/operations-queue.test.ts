// The periodic jobs' own queue (docs/operations.md "Worker roles"): a job scheduler left on the control queue by the
// version before, when these kinds were queued there, is taken off it, with its next run; a run already waiting
// there is left to the control worker, which still knows the kind.
import { randomBytes } from "node:crypto";
import { Queue, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { createLogger } from "../../src/log.js";
import { QueueName, createQueues, queueKeyPrefix, reconcileCalls, sweepGaps } from "../../src/queues/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import type { WorkerDependencies } from "../../workers/dependencies.js";
import { jobNamed } from "../../workers/registry.js";
import { startWorkers } from "../../workers/run.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";
import { eventually } from "../support/stack.js";

describe.each(redisTargets)("periodic jobs moved to the operations queue, on %s", (_label, target) => {
  const prefix = `${inject("runId")}:opsq-${randomBytes(4).toString("hex")}`;
  let redis: RedisClient;
  let control: Queue;
  let operations: Queue;

  beforeAll(() => {
    redis = connectTarget(target);
    control = new Queue(QueueName.control, { connection: redis, prefix: queueKeyPrefix(prefix, QueueName.control) });
    operations = new Queue(QueueName.operations, {
      connection: redis,
      prefix: queueKeyPrefix(prefix, QueueName.operations),
    });
  });
  afterAll(async () => {
    await control.close();
    await operations.close();
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  /**
   * What the version before left: the kind's scheduler on the control queue, its first run taken by a control
   * worker, which queued the next one there (delayed): a scheduler fires by each run queueing the next.
   */
  const scheduleOnControl = async (name: string) => {
    await control.upsertJobScheduler(name, { every: 60_000 }, { name, data: {}, opts: {} });
    expect((await control.getJobSchedulers()).map((s) => s.key)).toContain(name);
    await runControlJobs(1);
    expect(await control.getDelayedCount()).toBe(1);
  };

  /** A control worker of the version before, taking `count` jobs (doing nothing with them). */
  const runControlJobs = async (count: number) => {
    const ran: string[] = [];
    const worker = new Worker(QueueName.control, async (job) => void ran.push(job.name), {
      connection: redis,
      prefix: queueKeyPrefix(prefix, QueueName.control),
    });
    try {
      await eventually(() => (ran.length >= count ? true : undefined), 5_000, `${count} control job(s) run`);
    } finally {
      await worker.close();
    }
    return ran;
  };

  it("takes a scheduler off the queue its kind left, with its next run; upserting on the new queue alone would not", async () => {
    const queues = createQueues(redis, prefix);
    try {
      await scheduleOnControl(reconcileCalls.name);
      // A run of the version before, already waiting on control when the upgrade came.
      await control.add(reconcileCalls.name, {}, { jobId: "waiting-before-upgrade" });

      // The scheduler is upserted by id within one queue: the one on operations leaves control's firing.
      await queues.schedule(reconcileCalls, {}, 3_600_000);
      expect((await operations.getJobSchedulers()).map((s) => [s.key, s.every])).toEqual([
        [reconcileCalls.name, 3_600_000],
      ]);
      expect((await control.getJobSchedulers()).map((s) => s.key)).toEqual([reconcileCalls.name]);
      expect(await control.getDelayedCount()).toBe(1);

      expect(await queues.unscheduleElsewhere(reconcileCalls)).toEqual([QueueName.control]);
      expect(await control.getJobSchedulers()).toEqual([]);
      // Its next run is gone with it; the one already waiting is not lost: the control worker still knows the
      // kind and runs it, once, queueing no next run.
      expect(await control.getDelayedCount()).toBe(0);
      expect(jobNamed(reconcileCalls.name)?.kind).toBe(reconcileCalls);
      expect(await runControlJobs(1)).toEqual([reconcileCalls.name]);
      expect(await control.getJobCounts("waiting", "prioritized", "delayed")).toEqual({
        waiting: 0,
        prioritized: 0,
        delayed: 0,
      });
      // The new queue's scheduler is untouched, and a second pass finds nothing.
      expect((await operations.getJobSchedulers()).map((s) => s.key)).toEqual([reconcileCalls.name]);
      expect(await queues.unscheduleElsewhere(reconcileCalls)).toEqual([]);
    } finally {
      await operations.removeJobScheduler(reconcileCalls.name);
      await queues.close();
    }
  });

  it("a periodic job the configuration turns off (0) loses the scheduler an earlier configuration left", async () => {
    const queues = createQueues(redis, prefix);
    // Scheduled hourly by an earlier configuration, as its worker left it.
    await queues.schedule(reconcileCalls, {}, 3_600_000);
    const deps = {
      logger: createLogger("silent", "test"),
      queues,
      jobLockMs: 30_000,
      // Every periodic job off: reconciliation (0 by default) among them.
      reconcileSchedule: { everyMs: 0, windowMs: 0, logDelayMs: 0 },
      fillReviewQueueEveryMs: 0,
      ingest: { prioritySweepEveryMs: 0 },
      gapSweepEveryMs: 0,
      healthSettings: { probeEveryMs: 0 },
      evidenceCheckpointEveryMs: 0,
    } as unknown as WorkerDependencies;
    const running = startWorkers(deps, redis, prefix, 1, ["operations"]);
    try {
      await eventually(
        async () => ((await operations.getJobSchedulers()).length === 0 ? true : undefined),
        5_000,
        "the turned-off reconcile-calls scheduler removed",
      );
      expect(await operations.getDelayedCount()).toBe(0);
    } finally {
      await running.close();
      await queues.close();
    }
  });

  it("a worker of any role takes the old schedulers off at start (one not serving operations or control too)", async () => {
    const queues = createQueues(redis, prefix);
    await scheduleOnControl(sweepGaps.name);
    const deps = {
      logger: createLogger("silent", "test"),
      queues,
      jobLockMs: 30_000,
    } as unknown as WorkerDependencies;
    const running = startWorkers(deps, redis, prefix, 1, ["retrieval"]);
    try {
      await eventually(
        async () => ((await control.getJobSchedulers()).length === 0 ? true : undefined),
        5_000,
        "the control queue's sweep-gaps scheduler removed",
      );
      expect(await control.getDelayedCount()).toBe(0);
      // A retrieval worker schedules nothing of operations' own.
      expect(await operations.getJobSchedulers()).toEqual([]);
    } finally {
      await running.close();
      await queues.close();
    }
  });
});
