import type { CorrelationVia } from "../../correlation/index.js";
import type { RecordingChunk } from "../../intake/index.js";
import { defineJobKind, Priority } from "../kind.js";
import { QueueName } from "../names.js";

export interface IngestChunkPayload {
  /** The call, when the event or our indexes named it; absent: the job looks again (docs/archive.md). */
  serverCallId?: string;
  correlationId: string | undefined;
  /** How serverCallId was found. */
  via?: CorrelationVia;
  /** ACS's call id, the subject's `{call-id}`. */
  callId?: string;
  /** The recording's own key: its recordingId, or `doc-<documentId>` when none is known (never the call's). */
  recordingId: string;
  /** Event data, kept in the manifest; never the base of retention. */
  recordingStartTime: string;
  /** When the webhook first received the recording event: retention's base when no call start is known. */
  firstSeenAt?: string;
  chunk: RecordingChunk;
  /** Every chunk of the recording (from the same event): the last one archived writes the manifest. Optional for jobs queued before it existed. */
  recordingChunks?: { index: number; documentId: string; endReason: string; contentLocation: string }[];
  /** When ACS deletes its copy (24 h after publication): past it the chunk is lost. Optional for older jobs. */
  acsExpiresAt?: string;
  /** The event's `data.storageType` (`AzureBlob`: written into a customer container, docs/byos.md), when it has one. */
  storageType?: string;
  /** When the event was published: the last day ACS's customer-container folder can be dated (docs/byos.md). */
  eventTime?: string;
}

/**
 * One chunk of a recording to archive, keyed by recording and chunk: a replayed event queues nothing new. ACS
 * deletes recordings after 24 h: retries go on well inside that window. The priority is set per job from the
 * time its chunk has left (ingestPriority) and raised by sweep-ingest-deadlines.
 */
export const ingestChunk = defineJobKind<IngestChunkPayload>()({
  name: "ingest-chunk",
  queue: QueueName.ingest,
  options: { attempts: 12, backoff: { type: "exponential", delay: 2_000 } },
  key: (payload) => ["ingest", payload.recordingId, String(payload.chunk.index)],
});

/**
 * Periodic: waiting ingest jobs move to the priority band of the time left; chunks at risk are alerted, once. On
 * the operations queue, not the ingest queue: it must not wait behind the backlog it reorders (nor on the control
 * queue, which it does not serve: docs/operations.md "Worker roles").
 */
export const sweepIngestDeadlines = defineJobKind<Record<string, never>>()({
  name: "sweep-ingest-deadlines",
  queue: QueueName.operations,
  options: { attempts: 1, backoff: { type: "exponential", delay: 1_000 }, priority: Priority.prompt },
});

export interface ChunkPeaksPayload {
  /**
   * The archived chunk: its name in the archive container, or the absolute URL of a chunk sealed in the customer's
   * container (bring your own storage, docs/byos.md) — what the manifest lists as the chunk's `blob`.
   */
  blob: string;
  /** For the logs only. */
  recordingId: string;
  serverCallId?: string;
  correlationId: string | undefined;
}

/**
 * BullMQ priority of a peaks job on the ingest queue: after every ingest band (1–24, `ingestPriority` in
 * src/archive/deadline.ts), so a worker takes archiving work first whatever its deadline.
 */
export const CHUNK_PEAKS_PRIORITY = 1_000;

/**
 * The waveform peaks of one archived chunk (src/archive/peaks.ts), queued by ingest-chunk once the chunk is sealed:
 * derived data read back from the archive, kept out of the ingest job so the chunk's archiving is not slowed by a
 * second read (and an MP3 decode). On the ingest queue behind every chunk to archive; keyed by the chunk's blob,
 * so a retried ingest job queues it once. A few retries; then nothing but a log line (the page shows no waveform).
 */
export const chunkPeaks = defineJobKind<ChunkPeaksPayload>()({
  name: "chunk-peaks",
  queue: QueueName.ingest,
  options: { attempts: 3, backoff: { type: "exponential", delay: 5_000 } },
  key: (payload) => ["chunk-peaks", payload.blob],
  priority: () => CHUNK_PEAKS_PRIORITY,
});
