/**
 * Blob metadata and index tags of an archived chunk (pure). Tags make a chunk findable with
 * findBlobsByTags (team, call, recording, hash, retain-until); metadata repeats them on the blob itself.
 * Tag values allow letters, digits, space and + - . / : = _ only: ACS ids are base64, so they fit.
 */
export interface LabelInput {
  teamId: string;
  serverCallId: string;
  recordingId: string;
  chunkIndex: number;
  documentId: string;
  recordingStartTime: string;
  retentionDays: number | null | undefined;
  legalHold: boolean;
}

/** The end of retention: the recording's start plus the policy's days; undefined when the policy sets none. */
export function retainUntil(recordingStartTime: string, days: number | null | undefined): string | undefined {
  if (days === null || days === undefined) return undefined;
  const start = new Date(recordingStartTime);
  const from = Number.isNaN(start.getTime()) ? new Date(0) : start;
  return new Date(from.getTime() + days * 86_400_000).toISOString();
}

export function chunkLabels(input: LabelInput): { metadata: Record<string, string>; tags: Record<string, string> } {
  const until = retainUntil(input.recordingStartTime, input.retentionDays);
  const tags: Record<string, string> = {
    team: input.teamId,
    servercallid: input.serverCallId,
    recordingid: input.recordingId,
    chunk: String(input.chunkIndex),
    ...(until ? { retainuntil: until } : {}),
    ...(input.legalHold ? { legalhold: "true" } : {}),
  };
  return { metadata: { ...tags, documentid: input.documentId }, tags };
}
