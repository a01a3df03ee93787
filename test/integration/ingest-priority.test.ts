// Deadline-aware ingest priority against real Redis and BullMQ: jobs queued with their band, the sweep that
// raises waiting jobs as their chunks near ACS's expiry, and the once-per-chunk alerts.
import { randomBytes } from "node:crypto";
import { Job, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { createDeadlineAlertClaims } from "../../src/archive/deadline-alerts.js";
import { ingestPriority } from "../../src/archive/deadline.js";
import { parseDelivery } from "../../src/intake/parse.js";
import { createCorrelationIndex } from "../../src/correlation/index.js";
import { createLogger } from "../../src/log.js";
import { ingestDeadlineAlerts } from "../../src/metrics.js";
import {
  QueueName,
  connectRinging,
  createQueues,
  ingestChunk,
  jobIdFor,
  queueKeyPrefix,
  sweepIngestDeadlines,
  type PayloadOf,
  type Queues,
} from "../../src/queues/index.js";
import { createRedisSessionStore } from "../../src/sessions/index.js";
import type { WorkerDependencies } from "../../workers/dependencies.js";
import { callEventJob } from "../../workers/jobs/control/call-event.js";
import { alertChunkDeadline } from "../../workers/jobs/ingest/ingest-deadline.js";
import { sweepIngestDeadlinesJob } from "../../workers/jobs/ingest/sweep-ingest-deadlines.js";
import { createMemoryLedger } from "../support/memory-ledger.js";
import { runJob } from "../support/run-job.js";
import { eventually } from "../support/stack.js";

const H = 3_600_000;
const MARGIN = 2 * H;
let redis: Redis;
let prefix: string;
let queues: Queues;
let ingestQueue: Queue;
let deps: WorkerDependencies;

beforeAll(() => {
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
});

/** A fresh prefix (so a fresh queue) per test. */
async function freshQueues(): Promise<void> {
  prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
  queues = createQueues(redis, prefix);
  ingestQueue = new Queue(QueueName.ingest, { connection: redis, prefix: queueKeyPrefix(prefix, QueueName.ingest) });
  deps = {
    logger: createLogger("silent", "test"),
    queues,
    sessions: createRedisSessionStore(redis, prefix),
    deadlineAlerts: createDeadlineAlertClaims(redis, prefix),
    correlation: createCorrelationIndex(redis, prefix),
    ledger: createMemoryLedger(),
    ingest: { blockBytes: 65_536, concurrency: 1, atRiskMarginMs: MARGIN, prioritySweepEveryMs: 300_000 },
  } as unknown as WorkerDependencies; // a sweep and a recording event touch only these
}
async function cleanUp(): Promise<void> {
  await ingestQueue.close();
  await queues.close();
  await deleteKeysMatching(redis, `${prefix}:*`);
}

const chunkPayload = (recordingId: string, acsExpiresAt?: string): PayloadOf<"ingest-chunk"> => ({
  serverCallId: `call-${recordingId}`,
  correlationId: `corr-${recordingId}`,
  recordingId,
  recordingStartTime: new Date().toISOString(),
  chunk: {
    documentId: `doc-${recordingId}`,
    index: 0,
    endReason: "SessionEnded",
    contentLocation: `https://x.asm.skype.com/v1/objects/doc-${recordingId}/content/audio`,
    metadataLocation: `https://x.asm.skype.com/v1/objects/doc-${recordingId}/content/acsmetadata`,
    deleteLocation: `https://x.asm.skype.com/v1/objects/doc-${recordingId}`,
  },
  ...(acsExpiresAt ? { acsExpiresAt } : {}),
});

const inHours = (hours: number) => new Date(Date.now() + hours * H).toISOString();

/** Queues a chunk as it would have been queued `queuedHoursAgo` ago (the band of that moment), or with no priority. */
async function queueChunk(recordingId: string, expiresInHours: number | undefined, queuedHoursAgo?: number) {
  const acsExpiresAt = expiresInHours === undefined ? undefined : inHours(expiresInHours);
  const priority =
    queuedHoursAgo === undefined ? undefined : ingestPriority(acsExpiresAt, new Date(Date.now() - queuedHoursAgo * H));
  await queues.enqueue(ingestChunk, chunkPayload(recordingId, acsExpiresAt), {
    ...(priority !== undefined ? { priority } : {}),
  });
}

/** The priority of chunk 0's ingest job (keyed as call-event.ts keys it). */
const priorityOf = async (recordingId: string) =>
  (await Job.fromId(ingestQueue, jobIdFor("ingest", recordingId, "0")))?.priority;

const alertCount = async (status: "at-risk" | "lost") =>
  (await ingestDeadlineAlerts.get()).values.find((v) => v.labels.status === status)?.value ?? 0;

describe("deadline-aware ingest priority", () => {
  it("after a sweep the backlog drains nearest expiry first; at-risk and lost chunks are alerted once", async () => {
    await freshQueues();
    try {
      // In queue order. Without the sweep BullMQ would run `legacy` (no priority) first, then `far` (band 20).
      await queueChunk("far", 20, 0); // queued just now: band 20
      await queueChunk("near", 1.5, 22.5); // queued 22.5 h ago, when it had a full day left: band 24
      await queueChunk("expired", -0.05, 24); // queued a day ago; ACS's copy went 3 minutes ago
      await queueChunk("legacy", undefined); // queued before jobs carried priorities: 0
      // A retry in backoff: delayed, keeps its priority for when the delay is over.
      await queues.enqueue(ingestChunk, chunkPayload("retrying", inHours(0.5)), { delayMs: 600_000, priority: 24 });
      expect(await Promise.all(["far", "near", "expired", "legacy", "retrying"].map(priorityOf))).toEqual([
        20, 24, 24, 0, 24,
      ]);
      const atRiskBefore = await alertCount("at-risk");
      const lostBefore = await alertCount("lost");

      expect(await runJob(sweepIngestDeadlinesJob, deps, {})).toEqual({ waiting: 5, raised: 4, atRisk: 2, lost: 1 });
      expect(await Promise.all(["far", "near", "expired", "legacy", "retrying"].map(priorityOf))).toEqual([
        20, 2, 1, 24, 1,
      ]);
      expect(await ingestQueue.getJobState(jobIdFor("ingest", "retrying", "0"))).toBe("delayed");
      // A second pass moves nothing and alerts nothing again.
      expect(await runJob(sweepIngestDeadlinesJob, deps, {})).toEqual({ waiting: 5, raised: 0, atRisk: 0, lost: 0 });
      expect((await alertCount("at-risk")) - atRiskBefore).toBe(2);
      expect((await alertCount("lost")) - lostBefore).toBe(1);
      // The ingest job itself, when it runs, shares the claim: the chunk is not alerted a second time.
      expect(await alertChunkDeadline(deps, chunkPayload("near", inHours(1.5)), "at-risk", "running")).toBe(false);
      expect((await alertCount("at-risk")) - atRiskBefore).toBe(2);

      // One worker, one job at a time: the order BullMQ hands them out.
      const order: string[] = [];
      const worker = new Worker(
        QueueName.ingest,
        async (job: Job<PayloadOf<"ingest-chunk">>) => void order.push(job.data.recordingId),
        { connection: redis, prefix: queueKeyPrefix(prefix, QueueName.ingest), concurrency: 1 },
      );
      try {
        await eventually(() => (order.length >= 4 ? true : undefined), 15_000, "four ingest jobs to run");
      } finally {
        await worker.close();
      }
      expect(order).toEqual(["expired", "near", "far", "legacy"]);
    } finally {
      await cleanUp();
    }
  });

  it("a recording's chunks are queued in the band of the time they have left", async () => {
    await freshQueues();
    try {
      // ACS published the recording 21.5 h ago: 2.5 h left, band 3.
      const published = new Date(Date.now() - 21.5 * H).toISOString();
      const serverCallId = `band-${randomBytes(4).toString("hex")}`;
      const location = "https://us-storage.asm.skype.com/v1/objects/doc-1";
      const parsed = parseDelivery(
        {
          id: `${serverCallId}-file`,
          eventType: "Microsoft.Communication.RecordingFileStatusUpdated",
          subject: `/recording/call/${serverCallId}/recordingId/rec-1`,
          eventTime: published,
          dataVersion: "1.0",
          metadataVersion: "1",
          topic: "/subscriptions/s",
          data: {
            recordingStorageInfo: {
              recordingChunks: [
                {
                  documentId: "doc-1",
                  index: 0,
                  endReason: "SessionEnded",
                  contentLocation: `${location}/content/audio`,
                  metadataLocation: `${location}/content/acsmetadata`,
                  deleteLocation: location,
                },
              ],
            },
            recordingStartTime: published,
            recordingDurationMs: 4000,
            recordingContentType: "Audio",
            recordingChannelType: "Mixed",
            recordingFormatType: "Wav",
          },
        },
        { recordingHostSuffixes: [".asm.skype.com"] },
      );
      if (parsed.kind !== "events") throw new Error("fixture did not parse");
      await runJob(callEventJob, deps, {
        event: parsed.events[0]!,
        receivedAt: new Date().toISOString(),
        channel: "eventgrid",
      });
      expect(await priorityOf("rec-1")).toBe(3);
    } finally {
      await cleanUp();
    }
  });

  it("the sweep is scheduled once, whatever the number of workers that ask", async () => {
    await freshQueues();
    try {
      await queues.schedule(sweepIngestDeadlines, {}, 300_000);
      await queues.schedule(sweepIngestDeadlines, {}, 300_000);
      const operations = new Queue(QueueName.operations, {
        connection: redis,
        prefix: queueKeyPrefix(prefix, QueueName.operations),
      });
      const schedulers = await operations.getJobSchedulers();
      expect(schedulers.map((s) => [s.name, s.every])).toEqual([["sweep-ingest-deadlines", 300_000]]);
      await operations.close();
    } finally {
      await cleanUp();
    }
  });

  it("a job that has not started can be removed; removing it again, or a job never queued, is no error", async () => {
    await freshQueues();
    try {
      const payload = { serverCallId: "call-rm", correlationId: "corr-rm" };
      const watchdogId = jobIdFor("call-rm", "ring-watch");
      await queues.enqueue(connectRinging, payload);
      expect(await queues.getJob(connectRinging, watchdogId)).toBeDefined();
      await queues.remove(connectRinging, payload);
      expect(await queues.getJob(connectRinging, watchdogId)).toBeUndefined();
      await queues.remove(connectRinging, payload);
      await queues.remove(connectRinging, { serverCallId: "never-queued", correlationId: "corr-never" });
    } finally {
      await cleanUp();
    }
  });
});
