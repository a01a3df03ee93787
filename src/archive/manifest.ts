/**
 * The manifest of one recording (pure): what a reviewer or regulator needs to trust the chunks without
 * trusting us — call facts, the unmixed channel map and pause intervals from ACS's metadata documents,
 * every chunk with its size and SHA-256, the policy rule and hash that required the recording, timings, and
 * `endedBy` when it was stopped on purpose (who or what, why, when).
 * Written once every chunk is archived (see workers/jobs/ingest/ingest-chunk.ts); its own SHA-256 goes into the
 * manifest blob's metadata and tags.
 */
import type { ConsentRecord } from "../ledger/index.js";
import { z } from "zod";
import type { OurSideRecord } from "./our-side.js";

/** The fields of the ACS metadata document (docs/acs-payloads.md "Metadata document") the manifest uses; the rest is kept in the blob. */
export const acsMetadataDocument = z.looseObject({
  chunkStartTime: z.string().optional(),
  chunkDuration: z.number().optional(),
  pauseResumeIntervals: z.array(z.looseObject({ startTime: z.string(), duration: z.number() })).default([]),
  participants: z.array(z.looseObject({ participantId: z.string(), channel: z.number().optional() })).default([]),
  recordingInfo: z
    .looseObject({
      contentType: z.string().optional(),
      channelType: z.string().optional(),
      format: z.string().optional(),
    })
    .optional(),
});
export type AcsMetadataDocument = z.infer<typeof acsMetadataDocument>;

export interface ArchivedChunk {
  index: number;
  documentId: string;
  endReason: string;
  content: { blob: string; sizeBytes: number; sha256: string; contentType: string };
  metadata: { blob: string; sha256: string; document: AcsMetadataDocument };
  /**
   * Our side only (docs/archive.md "Our side only"): the chunk was stripped to our members' channels; what ACS served
   * and what was kept. `content` is what was archived; the metadata document is the one ACS served.
   */
  ourSide?: OurSideRecord;
}

export interface ManifestInput {
  /** undefined for a quarantined recording whose call was not found. */
  serverCallId: string | undefined;
  correlationId: string | undefined;
  /** The recording's key: its recordingId, or `doc-<documentId>` when none was known. */
  recordingId: string;
  recordingStartTime: string;
  teamId: string;
  call: { caller?: string; callee?: string; participants: string[]; startedAt?: string };
  policy: {
    ruleId?: string;
    /** Why it was recorded: `required`, or `best-effort` (a QA sample). */
    mode?: "required" | "best-effort";
    policyHash?: string;
    policySetHash?: string;
    retainUntil?: string;
    /** The trusted time retention counts from (placement.ts retentionBase). */
    retainFrom?: string;
    legalHold: boolean;
  };
  /** How the recording was tied to its call (docs/archive.md "Correlation"). */
  correlation?: { callId?: string | undefined; via?: string | undefined };
  /** Set for a recording archived in the quarantine area, with why. */
  quarantine?: { reason: string };
  /** Set for a recording moved out of the quarantine area by `recorder recordings assign`. */
  assignment?: { from: string; by: string; at: string; reason: string };
  chunks: ArchivedChunk[];
  archivedAt: string;
  /** When the recording event was first seen (our clock). */
  firstSeenAt?: string;
  /**
   * The recording was stopped on purpose (src/sessions `stops`): nobody in scope left on the call, or an operator's
   * request. Its audio ends there, because ACS's recording does.
   */
  stop?: { trigger: "scope" | "request"; by: string; reason: string; at: string };
  /**
   * Consent or notice by jurisdiction (docs/consent-flow.md), as the ledger keeps it: what was asked of whom, what
   * came of it and when. A recording exists only after consent was given (or the notice played): its audio starts
   * after `answeredAt`.
   */
  consent?: ConsentRecord;
}

export function buildManifest(input: ManifestInput) {
  const chunks = [...input.chunks].sort((a, b) => a.index - b.index);
  // One participant per channel; the first chunk that names a participant's channel decides it.
  const channels = new Map<string, number | undefined>();
  // Our side only: the archived files' channels, each kept channel's participants (the served map is in each
  // chunk's metadata document, archived as served).
  const stripped = chunks.some((c) => c.ourSide);
  for (const chunk of chunks)
    if (stripped) {
      for (const kept of chunk.ourSide?.channels.kept ?? [])
        for (const participantId of kept.participants)
          if (!channels.has(participantId)) channels.set(participantId, kept.archivedChannel);
    } else
      for (const p of chunk.metadata.document.participants)
        if (!channels.has(p.participantId) || channels.get(p.participantId) === undefined)
          channels.set(p.participantId, p.channel);
  const unarchived = Object.assign({}, ...chunks.map((c) => c.ourSide?.unarchivedParties ?? {})) as Record<
    string,
    { why: string; at: string }
  >;
  const info = chunks[0]?.metadata.document.recordingInfo;
  return {
    manifestVersion: 1,
    serverCallId: input.serverCallId ?? null,
    correlationId: input.correlationId ?? null,
    recordingId: input.recordingId,
    team: input.teamId,
    call: {
      caller: input.call.caller ?? null,
      callee: input.call.callee ?? null,
      participants: [...input.call.participants].sort(),
      startedAt: input.call.startedAt ?? null,
    },
    policy: {
      ruleId: input.policy.ruleId ?? null,
      mode: input.policy.mode ?? null,
      policyHash: input.policy.policyHash ?? null,
      policySetHash: input.policy.policySetHash ?? null,
      retainUntil: input.policy.retainUntil ?? null,
      ...(input.policy.retainFrom ? { retainFrom: input.policy.retainFrom } : {}),
      legalHold: input.policy.legalHold,
    },
    ...(input.correlation
      ? { correlation: { callId: input.correlation.callId ?? null, via: input.correlation.via ?? null } }
      : {}),
    ...(input.quarantine ? { quarantine: input.quarantine } : {}),
    ...(input.assignment ? { assignment: input.assignment } : {}),
    recording: {
      startTime: input.recordingStartTime,
      contentType: info?.contentType ?? null,
      channelType: info?.channelType ?? null,
      format: info?.format ?? null,
      durationMs: chunks.reduce((sum, c) => sum + (c.metadata.document.chunkDuration ?? 0), 0),
    },
    channelMap: [...channels.entries()]
      .map(([participantId, channel]) => ({ participantId, channel: channel ?? null }))
      .sort((a, b) => (a.channel ?? 99) - (b.channel ?? 99) || a.participantId.localeCompare(b.participantId)),
    ...(input.stop
      ? {
          endedBy: {
            trigger: input.stop.trigger,
            by: input.stop.by,
            reason: input.stop.reason,
            at: input.stop.at,
          },
        }
      : {}),
    ...(input.consent ? { consent: input.consent } : {}),
    ...(stripped
      ? {
          ourSideOnly: {
            unarchivedParties: Object.entries(unarchived)
              .map(([party, entry]) => ({ party, why: entry.why, at: entry.at }))
              .sort((a, b) => a.party.localeCompare(b.party)),
          },
        }
      : {}),
    pauses: chunks.flatMap((c) =>
      c.metadata.document.pauseResumeIntervals.map((p) => ({
        chunk: c.index,
        startTime: p.startTime,
        durationMs: p.duration,
      })),
    ),
    chunks: chunks.map((c) => ({
      index: c.index,
      documentId: c.documentId,
      endReason: c.endReason,
      startTime: c.metadata.document.chunkStartTime ?? null,
      durationMs: c.metadata.document.chunkDuration ?? null,
      blob: c.content.blob,
      contentType: c.content.contentType,
      sizeBytes: c.content.sizeBytes,
      sha256: c.content.sha256,
      metadataBlob: c.metadata.blob,
      metadataSha256: c.metadata.sha256,
      ...(c.ourSide
        ? {
            received: { sha256: c.ourSide.received.sha256, sizeBytes: c.ourSide.received.sizeBytes },
            channels: {
              served: c.ourSide.channels.served,
              kept: c.ourSide.channels.kept.map((k) => ({
                channel: k.channel,
                archivedChannel: k.archivedChannel,
                participants: k.participants,
              })),
              dropped: c.ourSide.channels.dropped.map((d) => ({
                channel: d.channel,
                participants: d.participants,
                why: d.why,
              })),
              ...(c.ourSide.unplaced.length > 0 ? { unplaced: c.ourSide.unplaced } : {}),
            },
          }
        : {}),
    })),
    totalBytes: chunks.reduce((sum, c) => sum + c.content.sizeBytes, 0),
    timings: {
      recordingStartTime: input.recordingStartTime,
      ...(input.firstSeenAt ? { firstSeenAt: input.firstSeenAt } : {}),
      archivedAt: input.archivedAt,
    },
  };
}
export type Manifest = ReturnType<typeof buildManifest>;

/** A recording's stop on purpose as the manifest says it (src/sessions `stops` holds them by recordingId). */
export type ManifestStop = NonNullable<ManifestInput["stop"]>;

/** How far a stop's time (ours) may lie past the end of the recording's audio (ACS's clock) and still be its end. */
const STOP_MATCH_SLACK_MS = 5_000;

/**
 * Which stop on purpose ended this recording, if any. By its recordingId when ingest knows it; a recording whose
 * event named none (archived under `doc-<documentId>`, docs/archive.md "Correlation") is matched by time: the stop
 * made after its audio began and no later than a moment after it ended (each recording of a call starts after the
 * previous one's stop). Pure.
 */
export function stopOfRecording(
  stops: Readonly<Record<string, ManifestStop & { recordingId?: string }>>,
  recording: { recordingId: string; startTime: string; durationMs: number },
): ManifestStop | undefined {
  const own = stops[recording.recordingId];
  const pick = (stop: ManifestStop): ManifestStop => ({
    trigger: stop.trigger,
    by: stop.by,
    reason: stop.reason,
    at: stop.at,
  });
  if (own) return pick(own);
  const start = Date.parse(recording.startTime);
  if (!Number.isFinite(start)) return undefined;
  const end = start + recording.durationMs;
  const within = Object.values(stops)
    .filter((stop) => {
      const at = Date.parse(stop.at);
      return at >= start && at <= end + STOP_MATCH_SLACK_MS;
    })
    .sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return within[0] ? pick(within[0]) : undefined;
}
