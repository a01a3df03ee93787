/**
 * Which call a recording belongs to (pure). A RecordingFileStatusUpdated may name only ACS's call id (forms 1
 * and 4 of its subject, docs/archive.md "Correlation"), so the call is also looked up in indexes the app writes
 * itself: recordingId → serverCallId (from the start response and RecordingStateChanged) and call id →
 * serverCallId (from the calling events' correlationId).
 */

/** How the call was found: our recordingId index, the subject's serverCallId, the call id index (subject or metadata). */
export type CorrelationVia = "recordingId" | "serverCallId" | "callId" | "metadataCallId";

export interface CallClues {
  /** The subject's `/serverCallId/` segment (forms 2 and 3). */
  serverCallId?: string | undefined;
  /** What our recordingId index says. */
  byRecordingId?: string | undefined;
  /** What our call id index says of the subject's `{call-id}`. */
  byCallId?: string | undefined;
  /** What our call id index says of the metadata document's `callId`, when it differs from the subject's. */
  byMetadataCallId?: string | undefined;
}

export interface Correlation {
  serverCallId?: string;
  via?: CorrelationVia;
  /** Clues that name another call than the one chosen: never expected, always logged. */
  disagreements: string[];
}

/**
 * The recordingId index comes first: it is our own record of the recording we started (or were told of) and
 * names exactly one recording; then the subject's serverCallId; then the call id, from the subject or the
 * metadata document.
 */
export function correlate(clues: CallClues): Correlation {
  const ranked: [CorrelationVia, string | undefined][] = [
    ["recordingId", clues.byRecordingId],
    ["serverCallId", clues.serverCallId],
    ["callId", clues.byCallId],
    ["metadataCallId", clues.byMetadataCallId],
  ];
  const found = ranked.filter((entry): entry is [CorrelationVia, string] => !!entry[1]);
  const first = found[0];
  if (!first) return { disagreements: [] };
  const [via, serverCallId] = first;
  const disagreements = found
    .filter(([, other]) => other !== serverCallId)
    .map(([source, other]) => `${source} names ${other}, ${via} names ${serverCallId}`);
  return { serverCallId, via, disagreements };
}

/**
 * A recording's own identity, for every key made from it (ingest job ids, blob names, manifest, ledger): its
 * recordingId; with none known (forms 1 and 2 without `data.recordingId`), the documentId of its first chunk,
 * which no other recording shares. Never "the call's latest recording": a call may have several (a restart).
 */
export function recordingKeyOf(
  recordingId: string | undefined,
  chunks: readonly { index: number; documentId: string }[],
): string {
  if (recordingId) return recordingId;
  const first = [...chunks].sort((a, b) => a.index - b.index)[0];
  if (!first) throw new Error("a recording event without chunks has no identity");
  return `${DOCUMENT_KEY_PREFIX}${first.documentId}`;
}

/** Keys made from documentIds start with this: no ACS recordingId does (they are base64 of JSON, `eyJ…`). */
export const DOCUMENT_KEY_PREFIX = "doc-";
