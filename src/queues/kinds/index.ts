import type { JobKind, PayloadOfKind } from "../kind.js";
import { exportRecordings } from "./retrieval.js";
import { chunkPeaks, ingestChunk, sweepIngestDeadlines } from "./ingest.js";
import { checkpointEvidence, probeStorage, reconcileCalls, sweepGaps } from "./operations.js";
import { fillReviewQueue } from "./reviews.js";
import {
  callEvent,
  checkRecording,
  connectCall,
  connectRinging,
  enforceStart,
  expectRecording,
  pauseRecording,
  playAnnouncement,
  rejectCall,
  resumeRecording,
  startRecording,
  stopRecording,
  confirmPresence,
  askConsent,
  consentFallback,
  consentTimeout,
} from "./control.js";

/** Each key must be its kind's own name: a kind filed under another name does not type-check. */
const byName = <T extends { [N in keyof T]: JobKind<N & string, never> }>(kinds: T): T => kinds;

/**
 * Every job kind, by name: the contract between producers (webhook, workers) and the work in workers/jobs, which
 * must cover each kind exactly once (workers/registry.ts).
 */
export const jobKinds = byName({
  "call-event": callEvent,
  "connect-call": connectCall,
  "connect-ringing": connectRinging,
  "start-recording": startRecording,
  "reject-call": rejectCall,
  "enforce-start": enforceStart,
  "play-announcement": playAnnouncement,
  "pause-recording": pauseRecording,
  "resume-recording": resumeRecording,
  "stop-recording": stopRecording,
  "confirm-presence": confirmPresence,
  "check-recording": checkRecording,
  "expect-recording": expectRecording,
  "ingest-chunk": ingestChunk,
  "chunk-peaks": chunkPeaks,
  "sweep-ingest-deadlines": sweepIngestDeadlines,
  "export-recordings": exportRecordings,
  "probe-storage": probeStorage,
  "sweep-gaps": sweepGaps,
  "checkpoint-evidence": checkpointEvidence,
  "reconcile-calls": reconcileCalls,
  "ask-consent": askConsent,
  "consent-fallback": consentFallback,
  "consent-timeout": consentTimeout,
  "fill-review-queue": fillReviewQueue,
});

export type JobKinds = typeof jobKinds;
export type JobName = keyof JobKinds;
export type PayloadOf<N extends JobName> = PayloadOfKind<JobKinds[N]>;
export type AnyJobKind = JobKinds[JobName];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobKinds, name);
}

export {
  callEvent,
  checkpointEvidence,
  checkRecording,
  chunkPeaks,
  connectCall,
  connectRinging,
  enforceStart,
  expectRecording,
  exportRecordings,
  fillReviewQueue,
  ingestChunk,
  pauseRecording,
  playAnnouncement,
  probeStorage,
  reconcileCalls,
  rejectCall,
  resumeRecording,
  startRecording,
  stopRecording,
  confirmPresence,
  sweepGaps,
  sweepIngestDeadlines,
  askConsent,
  consentFallback,
  consentTimeout,
};
export type {
  CallRef,
  EnforceStartPayload,
  PauseRecordingPayload,
  StartRecordingPayload,
  StopRecordingPayload,
} from "./control.js";
export type { ChunkPeaksPayload, IngestChunkPayload } from "./ingest.js";
export { CHUNK_PEAKS_PRIORITY } from "./ingest.js";
export type { ExportPayload, ExportRequester } from "./retrieval.js";
