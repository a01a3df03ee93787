import type { AnyJobKind, JobKinds, JobName } from "../src/queues/index.js";
import type { Dependency, WorkerJob } from "./job.js";
import { callEventJob } from "./jobs/control/call-event.js";
import { checkRecordingJob } from "./jobs/control/check-recording.js";
import { connectCallJob } from "./jobs/control/connect-call.js";
import { connectRingingJob } from "./jobs/control/connect-ringing.js";
import { enforceStartJob } from "./jobs/control/enforce-start.js";
import { expectRecordingJob } from "./jobs/control/expect-recording.js";
import { pauseRecordingJob } from "./jobs/control/pause-recording.js";
import { playAnnouncementJob } from "./jobs/control/play-announcement.js";
import { rejectCallJob } from "./jobs/control/reject-call.js";
import { resumeRecordingJob } from "./jobs/control/resume-recording.js";
import { startRecordingJob } from "./jobs/control/start-recording.js";
import { stopRecordingJob } from "./jobs/control/stop-recording.js";
import { confirmPresenceJob } from "./jobs/control/confirm-presence.js";
import { askConsentJob } from "./jobs/control/ask-consent.js";
import { consentFallbackJob } from "./jobs/control/consent-fallback.js";
import { consentTimeoutJob } from "./jobs/control/consent-timeout.js";
import { chunkPeaksJob } from "./jobs/ingest/chunk-peaks.js";
import { ingestChunkJob } from "./jobs/ingest/ingest-chunk.js";
import { sweepIngestDeadlinesJob } from "./jobs/ingest/sweep-ingest-deadlines.js";
import { checkpointEvidenceJob } from "./jobs/operations/checkpoint-evidence.js";
import { probeStorageJob } from "./jobs/operations/probe-storage.js";
import { reconcileCallsJob } from "./jobs/operations/reconcile-calls.js";
import { sweepGapsJob } from "./jobs/operations/sweep-gaps.js";
import { exportRecordingsJob } from "./jobs/retrieval/export-recordings.js";
import { fillReviewQueueJob } from "./jobs/reviews/fill-review-queue.js";

/** Each key must be the name of its job's kind: a job filed under another kind's name does not type-check. */
export type JobRegistry = { [N in JobName]: WorkerJob<JobKinds[N], Dependency> };

/**
 * The work of every job kind, exactly once: a kind without its job (or a job of no kind) does not type-check. The
 * runner (run.ts) dispatches by name through it.
 */
export const workerJobs: JobRegistry = {
  // control
  "call-event": callEventJob,
  "connect-call": connectCallJob,
  "connect-ringing": connectRingingJob,
  "start-recording": startRecordingJob,
  "reject-call": rejectCallJob,
  "enforce-start": enforceStartJob,
  "check-recording": checkRecordingJob,
  "play-announcement": playAnnouncementJob,
  "pause-recording": pauseRecordingJob,
  "resume-recording": resumeRecordingJob,
  "stop-recording": stopRecordingJob,
  "confirm-presence": confirmPresenceJob,
  "expect-recording": expectRecordingJob,
  "ask-consent": askConsentJob,
  "consent-fallback": consentFallbackJob,
  "consent-timeout": consentTimeoutJob,
  // ingest
  "ingest-chunk": ingestChunkJob,
  "chunk-peaks": chunkPeaksJob,
  "sweep-ingest-deadlines": sweepIngestDeadlinesJob,
  // retrieval
  "export-recordings": exportRecordingsJob,
  // operations
  "probe-storage": probeStorageJob,
  "sweep-gaps": sweepGapsJob,
  "checkpoint-evidence": checkpointEvidenceJob,
  "reconcile-calls": reconcileCallsJob,
  // reviews
  "fill-review-queue": fillReviewQueueJob,
};

/** The job of a name found in a queue, or undefined for a name no kind has. */
export function jobNamed(name: string | undefined): WorkerJob<AnyJobKind, Dependency> | undefined {
  return name !== undefined && Object.hasOwn(workerJobs, name) ? workerJobs[name as JobName] : undefined;
}
