import { callEvent, type AnyJobKind, type JobKinds, type JobName } from "../src/queues/index.js";
import type { WorkerDependencies } from "./dependencies.js";
import { defineJob, type Dependency, type WorkerJob } from "./job.js";
import { perform as performCallEvent } from "./jobs/call-event.js";
import { checkRecordingJob } from "./jobs/check-recording.js";
import { connectCallJob } from "./jobs/connect-call.js";
import { connectRingingJob } from "./jobs/connect-ringing.js";
import { enforceStartJob } from "./jobs/enforce-start.js";
import { expectRecordingJob } from "./jobs/expect-recording.js";
import { exportRecordingsJob } from "./jobs/export-recordings.js";
import { ingestChunkJob } from "./jobs/ingest-chunk.js";
import { pauseRecordingJob } from "./jobs/pause-recording.js";
import { playAnnouncementJob } from "./jobs/play-announcement.js";
import { probeStorageJob } from "./jobs/probe-storage.js";
import { rejectCallJob } from "./jobs/reject-call.js";
import { resumeRecordingJob } from "./jobs/resume-recording.js";
import { startRecordingJob } from "./jobs/start-recording.js";
import { sweepGapsJob } from "./jobs/sweep-gaps.js";
import { sweepIngestDeadlinesJob } from "./jobs/sweep-ingest-deadlines.js";

/** Events that come before a call can have a recording (all on the way to starting it): nothing to look up. */
const BEFORE_RECORDING_EVENTS = new Set([
  "Microsoft.Communication.IncomingCall",
  "Microsoft.Communication.CallStarted",
  "Microsoft.Communication.CallConnected",
]);

const everyDependency = [
  "sessions",
  "ringContexts",
  "queues",
  "policies",
  "policiesFor",
  "acs",
  "container",
  "containerNamed",
  "exportContainer",
  "exportRequests",
  "recordings",
  "callbackUri",
  "ingest",
  "deadlineAlerts",
  "ledger",
  "correlation",
  "retention",
  "deleteAcsCopy",
  "recordingExpectedWithinMs",
  "gapSweepEveryMs",
  "health",
  "healthSettings",
  "probeStorage",
  "endpoints",
  "jobLockMs",
  "recordingHostSuffixes",
] as const satisfies readonly Dependency[];

// TODO(job-kinds): moves into call-event.ts, with the dependencies it uses, once pure-core's rewrite has landed.
const callEventJob = defineJob(callEvent, {
  needs: everyDependency,
  perform: (deps, payload) => performCallEvent(deps as WorkerDependencies, payload),
  beforeRecording: ({ event }) => BEFORE_RECORDING_EVENTS.has(event.type),
});

/** Each key must be the name of its job's kind: a job filed under another kind's name does not type-check. */
type Registry = { [N in JobName]: WorkerJob<JobKinds[N], Dependency> };

/**
 * The work of every job kind, exactly once: a kind without its job (or a job of no kind) does not type-check. The
 * runner (run.ts) dispatches by name through it.
 */
export const workerJobs: Registry = {
  "call-event": callEventJob,
  "check-recording": checkRecordingJob,
  "connect-call": connectCallJob,
  "connect-ringing": connectRingingJob,
  "enforce-start": enforceStartJob,
  "expect-recording": expectRecordingJob,
  "export-recordings": exportRecordingsJob,
  "start-recording": startRecordingJob,
  "reject-call": rejectCallJob,
  "probe-storage": probeStorageJob,
  "sweep-gaps": sweepGapsJob,
  "sweep-ingest-deadlines": sweepIngestDeadlinesJob,
  "ingest-chunk": ingestChunkJob,
  "play-announcement": playAnnouncementJob,
  "pause-recording": pauseRecordingJob,
  "resume-recording": resumeRecordingJob,
};

/** The job of a name found in a queue, or undefined for a name no kind has. */
export function jobNamed(name: string | undefined): WorkerJob<AnyJobKind, Dependency> | undefined {
  return name !== undefined && Object.hasOwn(workerJobs, name) ? workerJobs[name as JobName] : undefined;
}
