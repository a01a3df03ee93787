import type { CallLogContext } from "../src/log.js";
import { parseRecordingSubject } from "../src/intake/subject.js";

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

/** Jobs and events that come before a call can have a recording (all on the way to starting it): nothing to look up. */
const BEFORE_RECORDING = new Set([
  "connect-call",
  "connect-ringing",
  "start-recording",
  "Microsoft.Communication.IncomingCall",
  "Microsoft.Communication.CallStarted",
  "Microsoft.Communication.CallConnected",
]);

/** Whether the session may know more ids than the job's payload (its recording id): worth one read. */
export function mayKnowMore(jobName: string, data: unknown, ids: CallLogContext): boolean {
  if (!ids.serverCallId || (ids.recordingId && ids.correlationId)) return false;
  const eventType = record(record(data).event).type;
  return !BEFORE_RECORDING.has(jobName) && !(typeof eventType === "string" && BEFORE_RECORDING.has(eventType));
}
