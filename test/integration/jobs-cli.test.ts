// `recorder jobs failed | retry`: dead-lettered jobs are listed with their reason and replayed.
import { randomBytes } from "node:crypto";
import { Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { failedCommand, listFailed, retryCommand } from "../../src/cli/jobs-commands.js";
import { openQueues } from "../../src/cli/queues.js";
import { QueueName, queueKeyPrefix } from "../../src/queues/index.js";
import type { RedisClient } from "../../src/redis/index.js";
import { connectTarget, redisTargets, redisUrlOf } from "../support/redis-targets.js";
import { eventually } from "../support/stack.js";

describe.each(redisTargets)("recorder jobs on %s", (_label, target) => {
  const prefix = `${inject("runId")}:jobs-${randomBytes(4).toString("hex")}`;
  let queues: Awaited<ReturnType<typeof openQueues>>;
  let worker: Worker;
  let redis: RedisClient;
  let failNext = true;
  const completed: string[] = [];

  beforeAll(async () => {
    queues = await openQueues({ REDIS_URL: redisUrlOf(target), REDIS_PREFIX: prefix });
    redis = connectTarget(target);
    worker = new Worker(
      QueueName.ingest,
      async (job) => {
        if (failNext) throw new Error("Blob storage unreachable");
        completed.push(job.id ?? "");
      },
      { connection: redis, prefix: queueKeyPrefix(prefix, QueueName.ingest) },
    );
  });
  afterAll(async () => {
    await worker?.close();
    await queues?.close();
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  });

  it("lists a job that used up its attempts, and replays it by id", async () => {
    const ingest = queues.all.find((q) => q.name === "ingest")!;
    await ingest.add(
      "ingest-chunk",
      { serverCallId: "call-1", recordingId: "rec-1", chunk: { index: 0 } },
      { jobId: "job-1", attempts: 2, backoff: { type: "fixed", delay: 10 }, removeOnFail: false },
    );
    const failed = await eventually(async () => (await listFailed(queues.all))[0], 10_000, "the dead-lettered job");
    expect(failed).toMatchObject({
      queue: "ingest",
      id: "job-1",
      name: "ingest-chunk",
      attemptsMade: 2,
      failedReason: "Blob storage unreachable",
      serverCallId: "call-1",
      recordingId: "rec-1",
    });

    const lines: string[] = [];
    const io = { out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
    expect(await failedCommand(queues.all, {}, io)).toBe(0);
    expect(lines.join("\n")).toMatch(
      /ingest\/ingest-chunk {2}job-1 {2}attempts=2 {2}call=call-1 {2}recording=rec-1 {2}Blob storage unreachable/,
    );

    lines.length = 0;
    expect(await retryCommand(queues.all, { ids: ["nope"] }, io)).toBe(1);
    expect(lines).toEqual(["ERR no failed job nope"]);

    failNext = false;
    lines.length = 0;
    expect(await retryCommand(queues.all, { ids: ["job-1"] }, io)).toBe(0);
    expect(lines).toEqual(["retried job-1"]);
    await eventually(() => (completed.includes("job-1") ? true : undefined), 10_000, "the replayed job to complete");
    expect(await listFailed(queues.all)).toEqual([]);
  });
});
