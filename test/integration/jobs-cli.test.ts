// `recorder jobs failed | retry`: dead-lettered jobs are listed with their reason and replayed.
import { randomBytes } from "node:crypto";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { failedCommand, listFailed, retryCommand } from "../../src/cli/jobs-commands.js";
import { openQueues } from "../../src/cli/queues.js";
import { eventually } from "../support/stack.js";

const prefix = `${inject("runId")}:jobs-${randomBytes(4).toString("hex")}`;
let queues: Awaited<ReturnType<typeof openQueues>>;
let worker: Worker;
let redis: Redis;
let failNext = true;
const completed: string[] = [];

beforeAll(async () => {
  queues = await openQueues({ REDIS_URL: inject("redisUrl"), REDIS_PREFIX: prefix });
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  worker = new Worker(
    "ingest",
    async (job) => {
      if (failNext) throw new Error("Blob storage unreachable");
      completed.push(job.id ?? "");
    },
    { connection: redis, prefix: `${prefix}:bull` },
  );
});
afterAll(async () => {
  await worker?.close();
  await queues?.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe("recorder jobs", () => {
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
