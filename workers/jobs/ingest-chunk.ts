import { Readable } from "node:stream";
import { UnrecoverableError } from "bullmq";
import { deadlineStatus } from "../../src/archive/deadline.js";
import { chunksArchived, ingestBytes, ingestDeadlineSlack, ingestDuration } from "../../src/metrics.js";
import { chunkLabels } from "../../src/archive/labels.js";
import {
  IngestVerificationFailed,
  ingestContent,
  ingestDocument,
  isRecordingStatus,
} from "../../src/archive/ingest.js";
import { acsMetadataDocument, buildManifest, type ArchivedChunk } from "../../src/archive/manifest.js";
import { chunkBlobNames, recordingFolder, UNASSIGNED_TEAM } from "../../src/archive/naming.js";
import type { PayloadOf } from "../../src/queues/index.js";
import { indexManifest } from "../../src/retrieval/indexing.js";
import type { WorkerDependencies } from "../dependencies.js";
import { alertChunkDeadline } from "./ingest-deadline.js";

/**
 * Copies one chunk and its metadata document from ACS into Blob storage: streamed in staged blocks, hashed on
 * the way, committed only when complete, verified, resumable after a crash (src/archive/ingest.ts).
 * Any failure throws, and BullMQ retries with backoff; a retry continues from the blocks already staged.
 */
export async function perform(deps: WorkerDependencies, payload: PayloadOf<"ingest-chunk">) {
  const { serverCallId, correlationId, recordingId, chunk } = payload;
  const log = { serverCallId, correlationId, recordingId, chunk: chunk.index };
  const deadline = deadlineStatus(payload.acsExpiresAt, new Date(), deps.ingest.atRiskMarginMs);
  if (deadline !== "ok") {
    await alertChunkDeadline(deps, payload, deadline, "running");
    // Past the expiry ACS answers 404 forever: fail for good (dead letter, ledger `failed`) instead of retrying.
    if (deadline === "lost")
      throw new UnrecoverableError(`chunk ${chunk.index} lost: ACS copy expired at ${payload.acsExpiresAt}`);
  }
  // The team is read when the job runs, not when it was queued: by then the call's decision is settled.
  const decision = (await deps.sessions.get(serverCallId)).decision;
  const teamId = decision && "teamId" in decision ? decision.teamId : undefined;
  const retention = decision?.record ? decision.retention : undefined;
  const names = chunkBlobNames({ ...payload, teamId, chunkIndex: chunk.index, contentLocation: chunk.contentLocation });
  const labels = chunkLabels({
    teamId: teamId ?? UNASSIGNED_TEAM,
    serverCallId,
    recordingId,
    chunkIndex: chunk.index,
    documentId: chunk.documentId,
    recordingStartTime: payload.recordingStartTime,
    retentionDays: retention?.days,
    legalHold: retention?.legalHold ?? false,
  });
  const recording = deps.acs.getCallRecording();
  const started = Date.now();
  const content = await ingestContent(
    deps.container,
    names.content,
    async (offset) => {
      // SDK 1.6.0 throws on {offset: 0}: a whole-body request carries no Range (reference §1.8 item 4).
      if (offset > 0) deps.logger.info({ ...log, offset }, "resuming chunk download with Range");
      return offset > 0
        ? recording.downloadStreaming(chunk.contentLocation, { offset })
        : recording.downloadStreaming(chunk.contentLocation);
    },
    { ...deps.ingest, ...labels },
  );
  const metadata = await ingestDocument(
    deps.container,
    names.metadata,
    await recording.downloadStreaming(chunk.metadataLocation),
    labels,
  );
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
  const protection = { until: until ? new Date(until) : undefined, legalHold: retention?.legalHold ?? false };
  await deps.retention.protect(content.name, protection);
  await deps.retention.protect(metadata.name, protection);
  const manifest = await writeManifestIfComplete(deps, payload, teamId ?? UNASSIGNED_TEAM, labels);
  if (manifest) {
    await deps.retention.protect(manifest, protection);
    // Listed for QA retrieval from now on (idempotent: a retried job indexes it again, to the same entry).
    const indexed = await indexManifest(deps.container, deps.recordings, manifest);
    if (!indexed) deps.logger.error({ ...log, manifest, alert: "manifest-unreadable" }, "ALERT manifest not indexable");
    await deps.ledger?.record({
      serverCallId,
      ...(correlationId ? { correlationId } : {}),
      outcome: "recorded",
      reason: "archived and verified",
      recordingId,
      manifest,
      ...(decision && "teamId" in decision
        ? { teamId: decision.teamId, ruleId: decision.ruleId, policyHash: decision.policyHash }
        : {}),
    });
  }
  if (deps.deleteAcsCopy) {
    await recording.delete(chunk.deleteLocation).catch((error: unknown) => {
      // Already gone (an earlier attempt deleted it): nothing left to do.
      if (!isRecordingStatus(error, 404)) throw error;
    });
    deps.logger.info({ ...log, deleteLocation: chunk.deleteLocation }, "ACS copy deleted after verified archive");
  }
  const { document: _document, ...metadataBlob } = metadata;
  return { content, metadata: metadataBlob, manifest };
}

/**
 * Writes the recording's manifest once every chunk of it is archived. Each job marks its own chunk archived
 * before looking at the others, so whichever finishes last sees them all; if two do, `If-None-Match: *`
 * keeps the first manifest.
 */
async function writeManifestIfComplete(
  deps: WorkerDependencies,
  payload: PayloadOf<"ingest-chunk">,
  teamId: string,
  labels: { metadata: Record<string, string>; tags: Record<string, string> },
): Promise<string | undefined> {
  const { serverCallId, correlationId, recordingId } = payload;
  const name = `${recordingFolder({ ...payload, teamId })}/manifest.json`;
  if (await deps.container.getBlockBlobClient(name).exists()) return name;
  const archived: ArchivedChunk[] = [];
  for (const c of payload.recordingChunks ?? [payload.chunk]) {
    const names = chunkBlobNames({ ...payload, teamId, chunkIndex: c.index, contentLocation: c.contentLocation });
    const content = await deps.container
      .getBlockBlobClient(names.content)
      .getProperties()
      .catch(() => undefined);
    const metadataBlob = deps.container.getBlockBlobClient(names.metadata);
    const metadata = await metadataBlob.getProperties().catch(() => undefined);
    if (!content?.metadata?.sha256 || !metadata?.metadata?.sha256) return undefined; // not the last one in
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
  const session = await deps.sessions.get(serverCallId);
  const decision = session.decision;
  const manifest = buildManifest({
    serverCallId,
    correlationId,
    recordingId,
    recordingStartTime: payload.recordingStartTime,
    teamId,
    call: {
      ...(session.caller ? { caller: session.caller } : {}),
      ...(session.callee ? { callee: session.callee } : {}),
      participants: session.participants,
      ...(session.startedAt ? { startedAt: session.startedAt } : {}),
    },
    policy: {
      ...(decision && "ruleId" in decision ? { ruleId: decision.ruleId, policyHash: decision.policyHash } : {}),
      ...(decision?.record ? { mode: decision.mode } : {}),
      ...(decision?.policySetHash ? { policySetHash: decision.policySetHash } : {}),
      ...(labels.tags.retainuntil ? { retainUntil: labels.tags.retainuntil } : {}),
      legalHold: decision?.record ? (decision.retention?.legalHold ?? false) : false,
    },
    chunks: archived,
    archivedAt: new Date().toISOString(),
  });
  const { chunk: _chunk, ...recordingLabels } = labels.tags;
  try {
    const written = await ingestDocument(deps.container, name, Readable.from([Buffer.from(JSON.stringify(manifest))]), {
      metadata: recordingLabels,
      tags: recordingLabels,
    });
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
