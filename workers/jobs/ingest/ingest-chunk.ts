import { Readable } from "node:stream";
import { UnrecoverableError } from "bullmq";
import {
  deadlineStatus,
  chunkLabels,
  IngestVerificationFailed,
  ingestContent,
  ingestDocument,
  isRecordingStatus,
  readDocument,
  acsMetadataDocument,
  buildManifest,
  stopOfRecording,
  type ArchivedChunk,
  chunkBlobNames,
  QUARANTINE_AREA,
  recordingFolder,
  placeRecording,
  type Placement,
  writeManifest,
  writeChunkPeaks,
} from "../../../src/archive/index.js";
import {
  chunksArchived,
  ingestBytes,
  ingestDeadlineSlack,
  ingestDuration,
  recordingsQuarantined,
} from "../../../src/metrics.js";
import { correlate, DOCUMENT_KEY_PREFIX, type Correlation } from "../../../src/correlation/index.js";
import { ingestChunk, type PayloadOf } from "../../../src/queues/index.js";
import { indexManifest } from "../../../src/retrieval/index.js";
import type { CallSession } from "../../../src/sessions/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { alertChunkDeadline } from "./ingest-deadline.js";

type Payload = PayloadOf<"ingest-chunk">;
type Labels = ReturnType<typeof chunkLabels>;

const needs = [
  "acs",
  "container",
  "recordings",
  "retention",
  "deleteAcsCopy",
  "ingest",
  "deadlineAlerts",
  "ledger",
  "correlation",
  "sessions",
  "policies",
  "evidenceSigner",
] as const;
type Deps = JobDependencies<(typeof needs)[number]>;

/**
 * Copies one chunk and its metadata document from ACS into Blob storage: streamed in staged blocks, hashed on
 * the way, committed only when complete, verified, resumable after a crash (src/archive/ingest.ts). Where it
 * goes is the recording's placement (src/archive/placement.ts): its team's layout, or the quarantine area.
 * Any failure throws, and BullMQ retries with backoff; a retry continues from the blocks already staged.
 */
async function perform(deps: Deps, payload: Payload) {
  const { correlationId, recordingId, chunk } = payload;
  const deadline = deadlineStatus(payload.acsExpiresAt, new Date(), deps.ingest.atRiskMarginMs);
  if (deadline !== "ok") {
    await alertChunkDeadline(deps, payload, deadline, "running");
    // Past the expiry ACS answers 404 forever: fail for good (dead letter, ledger `failed`) instead of retrying.
    if (deadline === "lost")
      throw new UnrecoverableError(`chunk ${chunk.index} lost: ACS copy expired at ${payload.acsExpiresAt}`);
  }
  const recording = deps.acs.getCallRecording();
  // The metadata document first (small, read whole): its callId is one more clue to the call.
  const metadataBytes = await readDocument(
    await recording.downloadStreaming(chunk.metadataLocation),
    chunk.metadataLocation,
  );
  const placement = await settlePlacement(deps, payload, callIdOf(metadataBytes));
  const serverCallId = placement.serverCallId;
  const teamId = placement.kind === "call" ? placement.teamId : undefined;
  const log = { serverCallId, correlationId, recordingId, chunk: chunk.index, placement: placement.kind };
  const names = chunkBlobNames({
    ...payload,
    teamId,
    serverCallId,
    chunkIndex: chunk.index,
    contentLocation: chunk.contentLocation,
  });
  const labels = chunkLabels({
    teamId: teamId ?? QUARANTINE_AREA,
    serverCallId,
    recordingId,
    chunkIndex: chunk.index,
    documentId: chunk.documentId,
    retainFrom: placement.retainFrom,
    retentionDays: placement.retention.days,
    legalHold: placement.retention.legalHold,
  });
  const started = Date.now();
  const content = await ingestContent(
    deps.container,
    names.content,
    async (offset) => {
      // SDK 1.6.0 throws on {offset: 0}: a whole-body request carries no Range (docs/acs-payloads.md "Recording files").
      if (offset > 0) deps.logger.info({ ...log, offset }, "resuming chunk download with Range");
      return offset > 0
        ? recording.downloadStreaming(chunk.contentLocation, { offset })
        : recording.downloadStreaming(chunk.contentLocation);
    },
    { ...deps.ingest, ...labels },
  );
  const metadata = await ingestDocument(deps.container, names.metadata, Readable.from([metadataBytes]), labels);
  chunksArchived.inc({ outcome: content.outcome });
  const seconds = (Date.now() - started) / 1000;
  observeIngest(content, seconds, payload.acsExpiresAt);
  deps.logger.info(
    {
      ...log,
      blob: content.name,
      sizeBytes: content.sizeBytes,
      sha256: content.sha256,
      outcome: content.outcome,
      resumedFrom: content.resumedFrom,
      mbPerSecond: seconds > 0 ? Math.round(content.sizeBytes / 1e6 / seconds) : undefined,
      metadataBlob: metadata.name,
    },
    "chunk archived",
  );
  // Retention and hold go on only once the copy is verified; then, and only then, ACS's copy may go.
  const until = labels.tags.retainuntil;
  const protection = { until: until ? new Date(until) : undefined, legalHold: placement.retention.legalHold };
  await deps.retention.protect(content.name, protection);
  await deps.retention.protect(metadata.name, protection);
  const manifest = await writeManifestIfComplete(deps, payload, placement, labels);
  if (manifest) {
    await deps.retention.protect(manifest, protection);
    if (placement.kind === "call") {
      // Listed for QA retrieval from now on (idempotent: a retried job indexes it again, to the same entry).
      const indexed = await indexManifest(deps.container, deps.recordings, manifest);
      if (!indexed)
        deps.logger.error({ ...log, manifest, alert: "manifest-unreadable" }, "ALERT manifest not indexable");
      await deps.ledger.record({
        serverCallId: placement.serverCallId,
        ...(correlationId ? { correlationId } : {}),
        outcome: "recorded",
        reason: "archived and verified",
        recordingId,
        manifest,
        teamId: placement.teamId,
        ruleId: placement.ruleId,
        policyHash: placement.policyHash,
      });
    } else {
      await deps.ledger.updateQuarantine(recordingId, { state: "archived", manifest });
    }
  }
  if (deps.deleteAcsCopy) {
    // Only the document this job itself verified archived under this name (ingest.ts documentMismatch).
    if (content.documentId !== chunk.documentId)
      throw new IngestVerificationFailed(`${content.name}: not verified as document ${chunk.documentId}`);
    await recording.delete(chunk.deleteLocation).catch((error: unknown) => {
      // Already gone (an earlier attempt deleted it): nothing left to do.
      if (!isRecordingStatus(error, 404)) throw error;
    });
    deps.logger.info({ ...log, deleteLocation: chunk.deleteLocation }, "ACS copy deleted after verified archive");
  }
  // Last: the waveform is for reviewers, and re-reading (decoding, for MP3) the chunk must not delay the archive.
  await writePeaks(deps, content.name, log);
  const { document: _document, ...metadataBlob } = metadata;
  return { content, metadata: metadataBlob, manifest, placement: placement.kind };
}

/** The metadata document's `callId` (ACS's call id), if it has one. */
function callIdOf(bytes: Buffer): string | undefined {
  try {
    const document: unknown = JSON.parse(bytes.toString("utf8"));
    const callId =
      typeof document === "object" && document !== null && "callId" in document ? document.callId : undefined;
    return typeof callId === "string" && callId ? callId : undefined;
  } catch {
    return undefined; // ingestDocument refuses it, with the reason
  }
}

/**
 * The recording's placement, the same for all its chunks: the first job to decide stores it and every other
 * one takes it (a chunk filed under another folder would never meet its recording's manifest). The call is the
 * one the event named, else looked up again in our indexes, now with the metadata document's callId too.
 */
async function settlePlacement(deps: Deps, payload: Payload, metadataCallId: string | undefined): Promise<Placement> {
  const stored = await deps.correlation.placement(payload.recordingId);
  if (stored) return JSON.parse(stored) as Placement;
  const found = await correlateAgain(deps, payload, metadataCallId);
  const session = found.serverCallId ? await deps.sessions.get(found.serverCallId) : undefined;
  const placement = placeRecording({
    serverCallId: found.serverCallId,
    via: found.via,
    callId: payload.callId ?? metadataCallId,
    decision: session?.decision,
    session,
    firstSeenAt: payload.firstSeenAt ?? new Date().toISOString(),
    policies: deps.policies(),
  });
  const claimed = await deps.correlation.claimPlacement(payload.recordingId, JSON.stringify(placement));
  if (!claimed.ours) return JSON.parse(claimed.placement) as Placement;
  if (placement.kind === "quarantine") await alertQuarantined(deps, payload, placement, metadataCallId);
  return placement;
}

async function correlateAgain(deps: Deps, payload: Payload, metadataCallId: string | undefined): Promise<Correlation> {
  if (payload.serverCallId)
    return { serverCallId: payload.serverCallId, via: payload.via ?? "serverCallId", disagreements: [] };
  const index = deps.correlation;
  const recordingId = payload.recordingId.startsWith(DOCUMENT_KEY_PREFIX) ? undefined : payload.recordingId;
  const [byRecordingId, byCallId, byMetadataCallId] = await Promise.all([
    recordingId ? index.callOfRecording(recordingId) : undefined,
    payload.callId ? index.callOfCallId(payload.callId) : undefined,
    metadataCallId && metadataCallId !== payload.callId ? index.callOfCallId(metadataCallId) : undefined,
  ]);
  const found = correlate({ byRecordingId, byCallId, byMetadataCallId });
  if (found.disagreements.length > 0)
    deps.logger.warn(
      { recordingId: payload.recordingId, disagreements: found.disagreements },
      "clues name different calls",
    );
  return found;
}

/** Once per recording (the job whose placement stood): an alert, a metric, and a gap in the ledger. */
async function alertQuarantined(
  deps: Deps,
  payload: Payload,
  placement: Extract<Placement, { kind: "quarantine" }>,
  metadataCallId: string | undefined,
): Promise<void> {
  const callId = payload.callId ?? metadataCallId;
  recordingsQuarantined.inc({ why: placement.serverCallId ? "unrecorded-call" : "uncorrelated" });
  deps.logger.error(
    {
      serverCallId: placement.serverCallId,
      recordingId: payload.recordingId,
      callId,
      reason: placement.reason,
      retention: placement.retention,
      alert: "recording-quarantined",
    },
    "ALERT recording archived in quarantine: assign it to its call with `recorder recordings assign`",
  );
  await deps.ledger.quarantine({
    recordingId: payload.recordingId,
    ...(callId ? { callId } : {}),
    ...(placement.serverCallId ? { serverCallId: placement.serverCallId } : {}),
    reason: placement.reason,
  });
}

/** The stop on purpose of this recording, for its manifest: where and why its audio ends. */
function stopOf(session: CallSession | undefined, recordingId: string, startTime: string, chunks: ArchivedChunk[]) {
  const durationMs = chunks.reduce((sum, c) => sum + (c.metadata.document.chunkDuration ?? 0), 0);
  const stop = session ? stopOfRecording(session.stops, { recordingId, startTime, durationMs }) : undefined;
  return stop ? { stop } : {};
}

/**
 * Writes the recording's manifest once every chunk of it is archived. Each job marks its own chunk archived
 * before looking at the others, so whichever finishes last sees them all; if two do, `If-None-Match: *`
 * keeps the first manifest. A chunk blob counts only if it holds that chunk's own document.
 */
async function writeManifestIfComplete(
  deps: Deps,
  payload: Payload,
  placement: Placement,
  labels: Labels,
): Promise<string | undefined> {
  const { correlationId, recordingId } = payload;
  const serverCallId = placement.serverCallId;
  const teamId = placement.kind === "call" ? placement.teamId : undefined;
  const name = `${recordingFolder({ ...payload, teamId, serverCallId })}/manifest.json`;
  if (await deps.container.getBlockBlobClient(name).exists()) return name;
  const archived: ArchivedChunk[] = [];
  for (const c of payload.recordingChunks ?? [payload.chunk]) {
    const names = chunkBlobNames({
      ...payload,
      teamId,
      serverCallId,
      chunkIndex: c.index,
      contentLocation: c.contentLocation,
    });
    const content = await deps.container
      .getBlockBlobClient(names.content)
      .getProperties()
      .catch(() => undefined);
    const metadataBlob = deps.container.getBlockBlobClient(names.metadata);
    const metadata = await metadataBlob.getProperties().catch(() => undefined);
    if (!content?.metadata?.sha256 || !metadata?.metadata?.sha256) return undefined; // not the last one in
    if (content.metadata.documentid !== c.documentId)
      throw new IngestVerificationFailed(`${names.content}: holds document ${content.metadata.documentid ?? "?"}`);
    const document = acsMetadataDocument.parse(JSON.parse((await metadataBlob.downloadToBuffer()).toString("utf8")));
    archived.push({
      index: c.index,
      documentId: c.documentId,
      endReason: c.endReason,
      content: {
        blob: names.content,
        sizeBytes: content.contentLength ?? 0,
        sha256: content.metadata.sha256,
        contentType: content.contentType ?? "",
      },
      metadata: { blob: names.metadata, sha256: metadata.metadata.sha256, document },
    });
  }
  const session = serverCallId ? await deps.sessions.get(serverCallId) : undefined;
  const manifest = buildManifest({
    serverCallId,
    correlationId,
    recordingId,
    recordingStartTime: payload.recordingStartTime,
    teamId: teamId ?? QUARANTINE_AREA,
    call: {
      ...(session?.caller ? { caller: session.caller } : {}),
      ...(session?.callee ? { callee: session.callee } : {}),
      participants: session?.participants ?? [],
      ...(session?.startedAt ? { startedAt: session.startedAt } : {}),
    },
    policy: {
      ...(placement.kind === "call"
        ? { ruleId: placement.ruleId, policyHash: placement.policyHash, mode: placement.mode }
        : {}),
      ...(placement.kind === "call" && placement.policySetHash ? { policySetHash: placement.policySetHash } : {}),
      ...(labels.tags.retainuntil ? { retainUntil: labels.tags.retainuntil } : {}),
      retainFrom: placement.retainFrom,
      legalHold: placement.retention.legalHold,
    },
    correlation: { callId: payload.callId, via: placement.via },
    ...(placement.kind === "quarantine" ? { quarantine: { reason: placement.reason } } : {}),
    chunks: archived,
    archivedAt: new Date().toISOString(),
    ...(payload.firstSeenAt ? { firstSeenAt: payload.firstSeenAt } : {}),
    ...stopOf(session, recordingId, payload.recordingStartTime, archived),
  });
  const { chunk: _chunk, ...recordingLabels } = labels.tags;
  try {
    const labels = { metadata: recordingLabels, tags: recordingLabels };
    const written = await writeManifest(deps.container, name, manifest, labels, deps.evidenceSigner);
    deps.logger.info(
      { serverCallId, correlationId, recordingId, manifest: name, sha256: written.sha256, chunks: archived.length },
      "recording manifest written",
    );
  } catch (error) {
    // Another job wrote it first (its archivedAt differs, so its hash does): that one stands.
    if (!(error instanceof IngestVerificationFailed)) throw error;
  }
  return name;
}

/** Bytes this attempt read (a resumed chunk only its rest; an existing one none), time taken, deadline slack. */
function observeIngest(
  content: { outcome: "fresh" | "resumed" | "existing"; sizeBytes: number; resumedFrom: number },
  seconds: number,
  acsExpiresAt: string | undefined,
): void {
  if (content.outcome !== "existing") ingestBytes.inc(Math.max(0, content.sizeBytes - content.resumedFrom));
  ingestDuration.observe({ outcome: content.outcome }, seconds);
  const expiresMs = acsExpiresAt ? Date.parse(acsExpiresAt) : NaN;
  if (Number.isFinite(expiresMs)) ingestDeadlineSlack.observe(Math.max(0, (expiresMs - Date.now()) / 1000));
}

/**
 * Out of retries: the call's ledger entry says why its recording is missing. A recording of no known call has no
 * call entry (its quarantine entry, if any, stays a gap): it is alerted instead.
 */
async function onExhausted(deps: Deps, payload: Payload, error: Error): Promise<void> {
  if (!payload.serverCallId) {
    deps.logger.error(
      { recordingId: payload.recordingId, callId: payload.callId, chunk: payload.chunk.index, alert: true },
      "ALERT a chunk of a recording with no known call could not be archived",
    );
    return;
  }
  const serverCallId = payload.serverCallId;
  await deps.ledger
    .record({
      serverCallId,
      ...(payload.correlationId ? { correlationId: payload.correlationId } : {}),
      outcome: "failed",
      reason: `chunk ${payload.chunk.index}: ${error.message}`,
      recordingId: payload.recordingId,
    })
    .catch((err: unknown) => deps.logger.error({ serverCallId, err }, "ledger write failed"));
}

export const ingestChunkJob = defineJob(ingestChunk, { needs, perform, onExhausted, proves: "storage" });

/**
 * The chunk's waveform peaks beside it (src/archive/peaks.ts), for the QA page. Derived data: a failure is logged
 * and the chunk stays archived (the page then shows no waveform for it); a retried job writes them again.
 */
async function writePeaks(deps: Deps, chunkBlob: string, log: Record<string, unknown>) {
  try {
    const written = await writeChunkPeaks(deps.container, chunkBlob);
    if ("problem" in written)
      deps.logger.info({ ...log, problem: written.problem }, "no waveform peaks for this chunk");
  } catch (err) {
    deps.logger.warn({ ...log, err }, "waveform peaks not written");
  }
}
