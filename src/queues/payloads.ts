import type { JobsOptions } from "bullmq";
import type { CorrelationVia } from "../correlation/index.js";
import type { AcsEvent, RecordingChunk } from "../intake/schemas.js";
import type { Announcement, RecordingPlan } from "../policy/types.js";
import { QueueName } from "./names.js";

/** Who asked for an export, as authenticated by the API (the job checks every recording against it again). */
export type ExportRequester = { name: string; role: "team"; team: string } | { name: string; role: "auditor" };

export interface ExportPayload {
  exportId: string;
  requestedBy: ExportRequester;
  requestedAt: string;
  /** The requester's address, for the chain of custody. */
  requestedFrom: string;
  /** The filters as requested (ISO times, numbers): recorded in the chain of custody. */
  selection: Record<string, string | number>;
  /** The team the export is scoped to (a team token's own team), or absent for an auditor's all-teams export. */
  team?: string;
  /** The requester's name for it (a case reference), recorded in the chain of custody. */
  label?: string;
  recordingIds: string[];
  target: { container: string; folder: string };
}

/**
 * The contract between producers (webhook, event worker) and the job modules in workers/jobs:
 * each job kind has one queue, one payload type and its retry options.
 */
export interface JobKinds {
  "call-event": { queue: typeof QueueName.callEvents; payload: { event: AcsEvent; receivedAt: string } };
  "connect-call": { queue: typeof QueueName.control; payload: { serverCallId: string; correlationId: string } };
  "connect-ringing": { queue: typeof QueueName.control; payload: { serverCallId: string; correlationId: string } };
  /**
   * The recording deadline; queued at once, with `failedRecordingId`, when ACS reports StartRecordingFailed ("" when
   * the event named no recording).
   */
  "enforce-start": {
    queue: typeof QueueName.control;
    payload: { serverCallId: string; correlationId: string; failedRecordingId?: string };
  };
  "pause-recording": {
    queue: typeof QueueName.control;
    payload: {
      serverCallId: string;
      recordingId: string;
      by: string;
      reason: string;
      autoResumeSeconds: number | null;
    };
  };
  /** `pausedAt`: resume only if that pause still holds (automatic resume); absent: resume now (an operator). */
  "resume-recording": {
    queue: typeof QueueName.control;
    payload: { serverCallId: string; recordingId: string; by: string; pausedAt?: string };
  };
  /**
   * Stops one recording on purpose (docs/recording-control.md "Someone leaves mid-call", "Stop on request"):
   * `scope` when nobody in scope remains (by: "scope"), `request` when an operator asked (by: their name).
   */
  "stop-recording": {
    queue: typeof QueueName.control;
    payload: {
      serverCallId: string;
      correlationId: string;
      recordingId: string;
      trigger: "scope" | "request";
      by: string;
      reason: string;
    };
  };
  /** The presence sources disagree: ask ACS for the participant list on our connection, then decide again. */
  "confirm-presence": {
    queue: typeof QueueName.control;
    payload: { serverCallId: string; correlationId: string; callConnectionId: string };
  };
  "play-announcement": {
    queue: typeof QueueName.control;
    payload: { serverCallId: string; correlationId: string; callConnectionId: string; announcement: Announcement };
  };
  "expect-recording": { queue: typeof QueueName.control; payload: { serverCallId: string; correlationId: string } };
  /**
   * Refuses a ringing call that cannot be recorded, with the IncomingCall's context, which is not in the job: it
   * can answer the call, so it is kept apart briefly (src/sessions/ring-context.ts) and never logged.
   */
  "reject-call": {
    queue: typeof QueueName.control;
    payload: { serverCallId: string; correlationId: string; reason: string };
  };
  /** Periodic: is Blob storage answering? (the health view behind rejecting at IncomingCall) */
  "probe-storage": { queue: typeof QueueName.control; payload: Record<string, never> };
  /** Periodic: every ledger gap of the last two days gets an alert, once. */
  "sweep-gaps": { queue: typeof QueueName.control; payload: Record<string, never> };
  /** Periodic: waiting ingest jobs move to the priority band of the time left; chunks at risk are alerted, once. */
  "sweep-ingest-deadlines": { queue: typeof QueueName.control; payload: Record<string, never> };
  "check-recording": {
    queue: typeof QueueName.control;
    payload: { serverCallId: string; correlationId: string; recordingId: string };
  };
  "start-recording": {
    queue: typeof QueueName.control;
    payload: {
      serverCallId: string;
      correlationId: string;
      callConnectionId: string;
      recording: RecordingPlan;
      /** When the call's CallStarted (or IncomingCall) reached the webhook: time-to-record is measured from it. */
      seenAt?: string;
      seenVia?: "call-started" | "incoming-call";
    };
  };
  "ingest-chunk": {
    queue: typeof QueueName.ingest;
    payload: {
      /** The call, when the event or our indexes named it; absent: the job looks again (docs/archive.md). */
      serverCallId?: string;
      correlationId: string | undefined;
      /** How serverCallId was found. */
      via?: CorrelationVia;
      /** ACS's call id, the subject's `{call-id}`. */
      callId?: string;
      /** The recording's own key: its recordingId, or `doc-<documentId>` when none is known (never the call's). */
      recordingId: string;
      /** Event data, kept in the manifest; never the base of retention. */
      recordingStartTime: string;
      /** When the webhook first received the recording event: retention's base when no call start is known. */
      firstSeenAt?: string;
      chunk: RecordingChunk;
      /** Every chunk of the recording (from the same event): the last one archived writes the manifest. Optional for jobs queued before it existed. */
      recordingChunks?: { index: number; documentId: string; endReason: string; contentLocation: string }[];
      /** When ACS deletes its copy (24 h after publication): past it the chunk is lost. Optional for older jobs. */
      acsExpiresAt?: string;
    };
  };
  /** A QA/evidence export (docs/recordings-api.md "Exports"): the selection is fixed when it is requested. */
  "export-recordings": { queue: typeof QueueName.export; payload: ExportPayload };
}
export type JobName = keyof JobKinds;
export type PayloadOf<N extends JobName> = JobKinds[N]["payload"];

/**
 * Control-queue priorities (BullMQ: lower runs first). Getting a call recorded comes before everything;
 * enforcement and PCI pauses next; announcements and after-the-fact checks last.
 */
const URGENT = 1;
const PROMPT = 2;
const ROUTINE = 3;

const retried = (attempts: number, delay: number): JobsOptions => ({
  attempts,
  backoff: { type: "exponential", delay },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: false,
});

export const jobDefinitions: { [N in JobName]: { queue: JobKinds[N]["queue"]; options: JobsOptions } } = {
  "call-event": { queue: QueueName.callEvents, options: retried(10, 500) },
  // Control runs first: a call waiting for its recording matters more than anything else.
  "connect-call": { queue: QueueName.control, options: { ...retried(5, 500), priority: URGENT } },
  // First try a little after IncomingCall (CallStarted usually comes first for ACS users), then about once a
  // second while the call rings (connect-ringing.ts bounds it by its ring window).
  "connect-ringing": {
    queue: QueueName.control,
    options: { ...retried(120, 1_000), backoff: { type: "fixed", delay: 1_000 }, delay: 1_500, priority: URGENT },
  },
  "start-recording": { queue: QueueName.control, options: { ...retried(5, 500), priority: URGENT } },
  // The call rings for seconds only: a few quick retries (the context is deleted after the last, reject-call.ts).
  "reject-call": {
    queue: QueueName.control,
    options: { ...retried(3, 250), priority: URGENT, removeOnComplete: true, removeOnFail: true },
  },
  "probe-storage": {
    queue: QueueName.control,
    options: { ...retried(1, 1_000), priority: PROMPT, removeOnComplete: true, removeOnFail: { count: 100 } },
  },
  // Delayed to the policy's deadline when queued (call-event.ts); retried only if hanging up fails.
  "enforce-start": { queue: QueueName.control, options: { ...retried(5, 500), priority: PROMPT } },
  "play-announcement": { queue: QueueName.control, options: { ...retried(5, 500), priority: ROUTINE } },
  "pause-recording": { queue: QueueName.control, options: { ...retried(5, 500), priority: PROMPT } },
  "resume-recording": { queue: QueueName.control, options: { ...retried(5, 500), priority: PROMPT } },
  // Recording people no policy asks for is a privacy problem: as prompt as a pause.
  "stop-recording": { queue: QueueName.control, options: { ...retried(5, 500), priority: PROMPT } },
  "confirm-presence": { queue: QueueName.control, options: { ...retried(5, 500), priority: PROMPT } },
  // Delayed by RECORDING_EXPECTED_WITHIN_SECONDS after the call ends (call-event.ts).
  "expect-recording": { queue: QueueName.control, options: { ...retried(5, 1_000), priority: ROUTINE } },
  "sweep-gaps": { queue: QueueName.control, options: { ...retried(1, 1_000), priority: ROUTINE } },
  // On the control queue, not the ingest queue: it must not wait behind the backlog it reorders.
  "sweep-ingest-deadlines": { queue: QueueName.control, options: { ...retried(1, 1_000), priority: PROMPT } },
  // Queued a moment after a recording was seen inactive (call-event.ts), to ask ACS before acting.
  "check-recording": { queue: QueueName.control, options: { ...retried(5, 500), priority: PROMPT } },
  // ACS deletes recordings after 24 h: keep retrying well inside that window. The priority is set per job
  // from the time its chunk has left (call-event.ts, ingestPriority) and raised by sweep-ingest-deadlines.
  "ingest-chunk": { queue: QueueName.ingest, options: retried(12, 2_000) },
  // A retry resumes: files already copied and verified are skipped (workers/jobs/export-recordings.ts).
  "export-recordings": {
    queue: QueueName.export,
    options: { ...retried(10, 1_000), removeOnComplete: { age: 30 * 24 * 3600 } },
  },
};
