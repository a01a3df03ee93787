import { acsExpiry, ingestPriority } from "../archive/index.js";
import { recordingKeyOf, type Correlation } from "../correlation/index.js";
import { type AcsEvent, parseRecordingSubject, type RecordingSubject } from "../intake/index.js";
import type { PayloadOf } from "../queues/index.js";

type RecordingEvent = Extract<AcsEvent, { type: "Microsoft.Communication.RecordingFileStatusUpdated" }>;

/** What a recording event says of its recording and call before any index is asked. */
export interface RecordingClues {
  /** The subject's ids; undefined when the subject names no call. */
  subject: RecordingSubject | undefined;
  /** The recordingId the event names (the subject's, else the data's), to look its call up by. */
  knownRecordingId: string | undefined;
  /** The recording's own key (src/correlation recordingKeyOf): its recordingId, else its first chunk's documentId. */
  recordingId: string;
  /** The subject and the data name different recordings (the subject's is used). */
  subjectDisagrees: boolean;
}

export function recordingCluesOf(event: RecordingEvent): RecordingClues {
  const subject = parseRecordingSubject(event.subject);
  const dataRecordingId = event.data.recordingId;
  const knownRecordingId = subject?.recordingId ?? dataRecordingId;
  return {
    subject,
    knownRecordingId,
    recordingId: recordingKeyOf(knownRecordingId, event.data.recordingStorageInfo.recordingChunks),
    subjectDisagrees: !!subject?.recordingId && !!dataRecordingId && subject.recordingId !== dataRecordingId,
  };
}

/** An ingest job to queue: its payload and its priority band (its id is the recording's and chunk's). */
export interface IngestJob {
  payload: PayloadOf<"ingest-chunk">;
  priority: number;
}

/**
 * One ingest job per chunk of a ready recording, from what its clues and our indexes found (`found`: the
 * correlation; `correlationId`: the call's, when one was found). Nearest expiry first: the priority is the hours
 * its chunk has left at `now` (the deadline sweep raises it as time passes). Pure.
 */
export function ingestJobsOf(
  event: RecordingEvent,
  found: { clues: RecordingClues; correlation: Correlation; correlationId: string | undefined },
  receivedAt: string,
  now: Date,
): IngestJob[] {
  const { clues, correlation, correlationId } = found;
  const { serverCallId, via } = correlation;
  const chunks = event.data.recordingStorageInfo.recordingChunks;
  const acsExpiresAt = acsExpiry(event.time);
  const recordingChunks = chunks.map(({ index, documentId, endReason, contentLocation }) => ({
    index,
    documentId,
    endReason,
    contentLocation,
  }));
  return chunks.map((chunk) => ({
    payload: {
      ...(serverCallId ? { serverCallId } : {}),
      correlationId,
      ...(via ? { via } : {}),
      ...(clues.subject ? { callId: clues.subject.callId } : {}),
      recordingId: clues.recordingId,
      recordingStartTime: event.data.recordingStartTime,
      firstSeenAt: receivedAt,
      chunk,
      recordingChunks,
      ...(acsExpiresAt ? { acsExpiresAt } : {}),
      ...(event.data.storageType ? { storageType: event.data.storageType } : {}),
      ...(event.time ? { eventTime: event.time } : {}),
    },
    priority: ingestPriority(acsExpiresAt, now),
  }));
}
