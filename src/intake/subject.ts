/**
 * The ids a RecordingFileStatusUpdated subject carries (pure). Microsoft documents four forms (docs/archive.md
 * "Correlation" lists where each is shown):
 *   /recording/call/{call-id}
 *   /recording/call/{call-id}/serverCallId/{serverCallId}
 *   /recording/call/{call-id}/serverCallId/{serverCallId}/recordingId/{recordingId}
 *   /recording/call/{call-id}/recordingId/{recordingId}
 * `{call-id}` is ACS's call id (the metadata document's `callId`), never the serverCallId. A serverCallId is
 * padded base64 and may hold '/', '+' and '=': it runs from its marker to the last `/recordingId/` (a
 * recordingId is base64url, without '/'), or to the end.
 */
export interface RecordingSubject {
  callId: string;
  serverCallId?: string;
  recordingId?: string;
}

const PREFIX = "/recording/call/";
const SERVER_CALL = "/serverCallId/";
const RECORDING = "/recordingId/";

export function parseRecordingSubject(subject: string): RecordingSubject | undefined {
  if (!subject.startsWith(PREFIX)) return undefined;
  const rest = subject.slice(PREFIX.length);
  const serverAt = rest.indexOf(SERVER_CALL);
  const lastRecordingAt = rest.lastIndexOf(RECORDING);
  // A `/recordingId/` only counts after the serverCallId's marker (form 3) or with no such marker (form 4).
  const recordingAt = lastRecordingAt >= 0 && (serverAt < 0 || lastRecordingAt > serverAt) ? lastRecordingAt : -1;
  const callIdEnd = serverAt >= 0 ? serverAt : recordingAt;
  const callId = callIdEnd >= 0 ? rest.slice(0, callIdEnd) : rest;
  if (!callId) return undefined;
  const result: RecordingSubject = { callId };
  if (serverAt >= 0) {
    const serverCallId = rest.slice(serverAt + SERVER_CALL.length, recordingAt >= 0 ? recordingAt : undefined);
    if (!serverCallId) return undefined;
    result.serverCallId = serverCallId;
  }
  if (recordingAt >= 0) {
    const recordingId = rest.slice(recordingAt + RECORDING.length);
    if (!recordingId) return undefined;
    result.recordingId = recordingId;
  }
  return result;
}
