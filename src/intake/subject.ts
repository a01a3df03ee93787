/**
 * Correlates a RecordingFileStatusUpdated to its call from the subject (reference §5.5), in either documented form:
 *   /recording/call/{serverCallId}/recordingId/{recordingId}
 *   /recording/call/{serverCallId}/serverCallId/{serverCallId}
 * serverCallId is base64 and may itself contain '/', so the marker is searched from the end.
 */
export function parseRecordingSubject(subject: string): { serverCallId: string; recordingId?: string } | undefined {
  const prefix = "/recording/call/";
  if (!subject.startsWith(prefix)) return undefined;
  const rest = subject.slice(prefix.length);
  for (const marker of ["/recordingId/", "/serverCallId/"] as const) {
    const at = rest.lastIndexOf(marker);
    if (at <= 0) continue;
    const serverCallId = rest.slice(0, at);
    const value = rest.slice(at + marker.length);
    if (!value) return undefined;
    return marker === "/recordingId/" ? { serverCallId, recordingId: value } : { serverCallId };
  }
  return undefined;
}
