/**
 * What the listing shows of one recording (pure): a summary built from its archived manifest, the filters a
 * reviewer can apply to it. Who may see it: src/auth/access.ts. docs/recordings-api.md is the contract.
 */
import { z } from "zod";

/** The fields of an archived manifest.json (src/archive/manifest.ts) that retrieval relies on; the rest is kept as is. */
export const archivedManifest = z.looseObject({
  serverCallId: z.string(),
  recordingId: z.string(),
  team: z.string(),
  call: z.looseObject({
    caller: z.string().nullable().optional(),
    callee: z.string().nullable().optional(),
    participants: z.array(z.string()).default([]),
  }),
  policy: z.looseObject({
    ruleId: z.string().nullable().optional(),
    // Manifests written before `mode` existed have none.
    mode: z.enum(["required", "best-effort"]).nullable().optional(),
    policyHash: z.string().nullable().optional(),
    policySetHash: z.string().nullable().optional(),
    retainUntil: z.string().nullable().optional(),
    legalHold: z.boolean().default(false),
  }),
  recording: z.looseObject({
    startTime: z.string(),
    channelType: z.string().nullable().optional(),
    format: z.string().nullable().optional(),
    durationMs: z.number().default(0),
  }),
  channelMap: z.array(z.looseObject({ participantId: z.string(), channel: z.number().nullable() })).default([]),
  pauses: z.array(z.looseObject({ chunk: z.number(), startTime: z.string(), durationMs: z.number() })).default([]),
  /** Set when the recording was stopped on purpose (scope or a request): its audio ends there. */
  endedBy: z
    .looseObject({ trigger: z.enum(["scope", "request"]), by: z.string(), reason: z.string(), at: z.string() })
    .optional(),
  /** Consent or notice by jurisdiction (docs/consent-flow.md): what was asked of whom, and what came of it. */
  consent: z
    .looseObject({
      summary: z.string(),
      requirement: z.enum(["notice", "consent"]),
      decidedBy: z.looseObject({ party: z.string(), jurisdiction: z.string(), set: z.string() }),
      target: z.string().optional(),
      askedAt: z.string(),
      outcome: z.string().optional(),
      answeredAt: z.string().optional(),
      heard: z.string().optional(),
      matched: z.string().optional(),
      fallback: z.string().optional(),
      subCode: z.number().optional(),
    })
    .optional(),
  chunks: z.array(
    z.looseObject({
      index: z.number().int().min(0),
      blob: z.string(),
      contentType: z.string(),
      sizeBytes: z.number().int().min(0),
      sha256: z.string(),
      metadataBlob: z.string(),
      metadataSha256: z.string(),
      startTime: z.string().nullable().optional(),
      durationMs: z.number().nullable().optional(),
    }),
  ),
  totalBytes: z.number(),
});
export type ArchivedManifest = z.infer<typeof archivedManifest>;

export const OUTCOMES = ["required", "best-effort"] as const;
export type RecordingOutcome = (typeof OUTCOMES)[number];

/** One item of `GET /api/recordings`. */
export interface RecordingSummary {
  recordingId: string;
  serverCallId: string;
  team: string;
  startedAt: string;
  durationSeconds: number;
  participants: string[];
  outcome: RecordingOutcome | null;
  ruleId: string | null;
  chunkCount: number;
  totalBytes: number;
  channelType: string | null;
  format: string | null;
  /**
   * Set when the recording's bytes lie in a team's own container, sealed in place (docs/byos.md): that container's
   * URL. Absent: the chunks are in the archive container.
   */
  customerStorage?: string;
  /** Who placed the call and whom it was for (raw ids), when the manifest says (indexed since issue 19). */
  caller?: string | null;
  callee?: string | null;
}

/** The summary as indexed: plus where its manifest is and what it hashed to when it was indexed. */
export interface IndexedRecording extends RecordingSummary {
  manifestBlob: string;
  manifestSha256: string;
  /** The last verification through the API (POST …/verify): when, and whether every byte matched. */
  lastVerification?: { at: string; ok: boolean };
}

export function summarize(manifest: ArchivedManifest, manifestBlob: string, manifestSha256: string): IndexedRecording {
  const people = new Set<string>(manifest.call.participants);
  if (manifest.call.caller) people.add(manifest.call.caller);
  if (manifest.call.callee) people.add(manifest.call.callee);
  for (const channel of manifest.channelMap) people.add(channel.participantId);
  return {
    recordingId: manifest.recordingId,
    serverCallId: manifest.serverCallId,
    team: manifest.team,
    startedAt: new Date(manifest.recording.startTime).toISOString(),
    durationSeconds: manifest.recording.durationMs / 1000,
    participants: [...people].sort(),
    outcome: manifest.policy.mode ?? null,
    ruleId: manifest.policy.ruleId ?? null,
    chunkCount: manifest.chunks.length,
    totalBytes: manifest.totalBytes,
    channelType: manifest.recording.channelType ?? null,
    format: manifest.recording.format ?? null,
    ...customerStorageOf(manifest),
    caller: manifest.call.caller ?? null,
    callee: manifest.call.callee ?? null,
    manifestBlob,
    manifestSha256,
  };
}

/** The customer container of the first chunk sealed in place (its URL up to the container), if any. */
function customerStorageOf(manifest: ArchivedManifest): { customerStorage?: string } {
  const url = manifest.chunks.map((c) => c.blob).find((blob) => /^https?:\/\//i.test(blob));
  if (!url) return {};
  const { origin, hostname, pathname } = new URL(url);
  const segments = pathname.split("/").filter(Boolean);
  const pathStyle = ["127.0.0.1", "localhost", "[::1]"].includes(hostname) ? 2 : 1; // emulator: /<account>/<container>
  return { customerStorage: `${origin}/${segments.slice(0, pathStyle).join("/")}` };
}

/** The list item as the API shows it (without the index's own bookkeeping). */
export function publicSummary(recording: IndexedRecording): RecordingSummary {
  const { manifestBlob: _blob, manifestSha256: _sha, lastVerification: _verified, ...summary } = recording;
  return summary;
}

/**
 * The key a participant is indexed and searched under: phone numbers as E.164 (`4:+44…` and `+44…` are the
 * same person), every other raw id as it is.
 */
export function participantKey(participant: string): string {
  const trimmed = participant.trim();
  return trimmed.startsWith("4:") ? trimmed.slice(2) : trimmed;
}

/**
 * The call's direction for its team (pure, as the policy language reads it): `internal` when every participant is a
 * member, `outbound` when the caller is, `inbound` otherwise; null when the caller is not known.
 */
export function directionOf(
  recording: Pick<RecordingSummary, "participants" | "caller">,
  isMember: (rawId: string) => boolean,
): "internal" | "outbound" | "inbound" | null {
  if (recording.participants.length > 0 && recording.participants.every(isMember)) return "internal";
  if (!recording.caller) return null;
  return isMember(recording.caller) ? "outbound" : "inbound";
}

export interface RecordingFilters {
  team?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  participant?: string | undefined;
  serverCallId?: string | undefined;
  minDurationSeconds?: number | undefined;
  maxDurationSeconds?: number | undefined;
  outcome?: RecordingOutcome | undefined;
}

export function matchesFilters(recording: RecordingSummary, filters: RecordingFilters): boolean {
  const started = Date.parse(recording.startedAt);
  if (filters.team !== undefined && recording.team !== filters.team) return false;
  if (filters.from && started < filters.from.getTime()) return false;
  if (filters.to && started >= filters.to.getTime()) return false;
  if (filters.serverCallId !== undefined && recording.serverCallId !== filters.serverCallId) return false;
  if (filters.participant !== undefined) {
    const wanted = participantKey(filters.participant);
    if (!recording.participants.some((p) => participantKey(p) === wanted)) return false;
  }
  if (filters.minDurationSeconds !== undefined && recording.durationSeconds < filters.minDurationSeconds) return false;
  if (filters.maxDurationSeconds !== undefined && recording.durationSeconds > filters.maxDurationSeconds) return false;
  if (filters.outcome !== undefined && recording.outcome !== filters.outcome) return false;
  return true;
}
