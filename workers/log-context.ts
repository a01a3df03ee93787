import type { CallLogContext } from "../src/log.js";
import { parseRecordingSubject } from "../src/intake/index.js";

const text = (value: unknown): string | undefined => (typeof value === "string" && value ? value : undefined);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};

/**
 * The call ids a job's payload names: its own `serverCallId`, `correlationId`, `recordingId`, or for a
 * `call-event` job those of the event's data (a RecordingFileStatusUpdated names them in its subject).
 */
export function callIdsOfJob(data: unknown): CallLogContext {
  const payload = record(data);
  const event = record(payload.event);
  const eventData = record(event.data);
  const fromSubject =
    event.type === "Microsoft.Communication.RecordingFileStatusUpdated" && typeof event.subject === "string"
      ? parseRecordingSubject(event.subject)
      : undefined;
  const ids: CallLogContext = {};
  const serverCallId = text(payload.serverCallId) ?? text(eventData.serverCallId) ?? fromSubject?.serverCallId;
  // A subject's `{call-id}` is ACS's call id: the correlationId of the call's other events.
  const correlationId = text(payload.correlationId) ?? text(eventData.correlationId) ?? fromSubject?.callId;
  const recordingId = text(payload.recordingId) ?? text(eventData.recordingId) ?? fromSubject?.recordingId;
  if (serverCallId) ids.serverCallId = serverCallId;
  if (correlationId) ids.correlationId = correlationId;
  if (recordingId) ids.recordingId = recordingId;
  return ids;
}

/**
 * Whether the session may know more ids than the job's payload (its recording id): worth one read, unless the
 * job runs before its call can have a recording (its definition's `beforeRecording`, workers/job.ts).
 */
export function mayKnowMore(beforeRecording: boolean, ids: CallLogContext): boolean {
  if (!ids.serverCallId || (ids.recordingId && ids.correlationId)) return false;
  return !beforeRecording;
}
