/**
 * Blob metadata and index tags of an archived chunk (pure). Tags make a chunk findable with
 * findBlobsByTags (team, call, recording, hash, retain-until); metadata repeats them on the blob itself.
 * Tag values allow letters, digits, space and + - . / : = _ only: ACS ids are base64, so they fit.
 */
export interface LabelInput {
  /** The team, or the quarantine area's name. */
  teamId: string;
  /** Absent for a recording whose call is not known. */
  serverCallId: string | undefined;
  recordingId: string;
  chunkIndex: number;
  documentId: string;
  /** The trusted time retention counts from (placement.ts retentionBase), never the event's recordingStartTime. */
  retainFrom: string;
  retentionDays: number | null | undefined;
  legalHold: boolean;
}

/** The end of retention: the trusted base time plus the policy's days; undefined when the policy sets none. */
export function retainUntil(retainFrom: string, days: number | null | undefined): string | undefined {
  if (days === null || days === undefined) return undefined;
  const start = new Date(retainFrom);
  // An unreadable base must not shorten retention: count from now instead.
  const from = Number.isNaN(start.getTime()) ? new Date() : start;
  return new Date(from.getTime() + days * 86_400_000).toISOString();
}

export function chunkLabels(input: LabelInput): { metadata: Record<string, string>; tags: Record<string, string> } {
  const until = retainUntil(input.retainFrom, input.retentionDays);
  const tags: Record<string, string> = {
    team: input.teamId,
    ...(input.serverCallId ? { servercallid: input.serverCallId } : {}),
    recordingid: input.recordingId,
    chunk: String(input.chunkIndex),
    ...(until ? { retainuntil: until } : {}),
    ...(input.legalHold ? { legalhold: "true" } : {}),
  };
  return { metadata: { ...tags, documentid: input.documentId }, tags };
}
