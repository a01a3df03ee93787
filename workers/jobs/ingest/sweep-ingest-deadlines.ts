import { reviewWaitingChunk } from "../../../src/archive/index.js";
import { ingestPriorityRaises } from "../../../src/metrics.js";
import { ingestChunk, sweepIngestDeadlines } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { alertChunkDeadline } from "./ingest-deadline.js";

export interface IngestDeadlineSweep {
  /** Ingest jobs not running yet (waiting, prioritised, delayed). */
  waiting: number;
  /** Moved to a more urgent priority band. */
  raised: number;
  /** Alerts raised by this pass (each chunk's at-risk and lost alerts are raised once, ever). */
  atRisk: number;
  lost: number;
}

/**
 * Periodic (one BullMQ job scheduler across replicas): every ingest job that has not started is moved to the
 * priority band of the time its chunk has left (`ingestPriority`), so a backlog drains nearest-expiry first,
 * and a chunk still waiting inside the at-risk margin, or past its expiry, is alerted, once per chunk.
 */
async function perform(deps: JobDependencies<"queues" | "ingest" | "deadlineAlerts">): Promise<IngestDeadlineSweep> {
  const result: IngestDeadlineSweep = { waiting: 0, raised: 0, atRisk: 0, lost: 0 };
  for await (const page of deps.queues.notStarted(ingestChunk)) {
    const now = new Date();
    for (const job of page) {
      result.waiting += 1;
      const { payload } = job;
      const review = reviewWaitingChunk(payload.acsExpiresAt, job.priority, now, deps.ingest.atRiskMarginMs);
      if (review.raiseTo !== undefined) {
        try {
          await job.setPriority(review.raiseTo);
        } catch (err) {
          // Removed since the ids were read (e.g. by `recorder jobs` or an age limit): nothing left to move.
          deps.logger.warn({ jobId: job.id, err }, "could not re-prioritise an ingest job");
          continue;
        }
        result.raised += 1;
        ingestPriorityRaises.inc();
        deps.logger.debug(
          {
            serverCallId: payload.serverCallId,
            correlationId: payload.correlationId,
            recordingId: payload.recordingId,
            chunk: payload.chunk.index,
            from: job.priority,
            to: review.raiseTo,
            acsExpiresAt: payload.acsExpiresAt,
          },
          "ingest job moved to a more urgent priority band",
        );
      }
      if (review.status !== "ok" && (await alertChunkDeadline(deps, payload, review.status, "waiting"))) {
        result[review.status === "lost" ? "lost" : "atRisk"] += 1;
      }
    }
  }
  if (result.raised + result.atRisk + result.lost > 0) deps.logger.info(result, "ingest deadline sweep");
  return result;
}

export const sweepIngestDeadlinesJob = defineJob(sweepIngestDeadlines, {
  needs: ["queues", "ingest", "deadlineAlerts"],
  perform,
  schedule: { everyMs: (deps) => deps.ingest.prioritySweepEveryMs, payload: {} },
});
