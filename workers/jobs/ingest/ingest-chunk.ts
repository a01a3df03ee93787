import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { UnrecoverableError } from "bullmq";
import {
  deadlineStatus,
  chunkLabels,
  IngestRefused,
  IngestVerificationFailed,
  ingestContent,
  ingestDocument,
  isRecordingStatus,
  readDocument,
  acsMetadataDocument,
  skipBytes,
  buildManifest,
  stopOfRecording,
  type ArchivedChunk,
  chunkBlobNames,
  QUARANTINE_AREA,
  recordingFolder,
  placeRecording,
  type Placement,
  writeManifest,
  azureRetention,
  blobAt,
  candidateDays,
  customerContainer,
  findChunkBlobs,
  parseContainerUrl,
  readDocumentInPlace,
  sealContentInPlace,
  sealDocumentInPlace,
  storageRoute,
  type OurSideRecord,
  ourSideRecord,
  ourSideRecordName,
  recordingTeamMember,
  strippedBody,
  WavRefused,
} from "../../../src/archive/index.js";
import { z } from "zod";
import {
  chunksArchived,
  ingestBytes,
  ingestDeadlineSlack,
  ingestDuration,
  recordingsQuarantined,
  customerStorageFallbacks,
} from "../../../src/metrics.js";
import { correlate, DOCUMENT_KEY_PREFIX, type Correlation } from "../../../src/correlation/index.js";
import { chunkPeaks, ingestChunk, type PayloadOf } from "../../../src/queues/index.js";
import { indexManifest } from "../../../src/retrieval/index.js";
import type { CallSession } from "../../../src/sessions/index.js";
import { consentRecordOf } from "../../../src/calls/index.js";
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
  "queues",
] as const;
type Deps = JobDependencies<(typeof needs)[number]>;

/**
 * Archives one chunk and its metadata document. Downloaded from ACS into Blob storage — streamed in staged
 * blocks, hashed on the way, committed only when complete, verified, resumable after a crash
 * (src/archive/ingest.ts) — or, when ACS wrote it into the team's own container (bring your own storage,
 * docs/byos.md), found there, read once and sealed where it lies. Either way `sealChunk` then protects it, writes
 * the manifest when the recording is complete, lists it and records it in the ledger. Where it goes is the
 * recording's placement (src/archive/placement.ts): its team's layout, or the quarantine area. Any failure throws,
 * and BullMQ retries with backoff; a retry continues from the blocks already staged.
 */
async function perform(deps: Deps, payload: Payload) {
  const { chunk } = payload;
  const deadline = deadlineStatus(payload.acsExpiresAt, new Date(), deps.ingest.atRiskMarginMs);
  const session = payload.serverCallId ? await deps.sessions.get(payload.serverCallId) : undefined;
  // Our side only (docs/consent-flow.md): parties on record as never archived — always ACS's copy, stripped.
  if (session?.unarchivedParties && Object.keys(session.unarchivedParties).length > 0) {
    if (deadline !== "ok") await alertChunkDeadline(deps, payload, deadline, "running");
    if (deadline === "lost")
      throw new UnrecoverableError(`chunk ${chunk.index} lost: ACS copy expired at ${payload.acsExpiresAt}`);
    return downloadOurSide(deps, payload, session);
  }
  const plan = plannedStorage(session);
  // A recording in the customer's container does not expire with ACS's copy: only the download path has a deadline.
  const route = storageRoute(plan?.containerUrl, payload.storageType, deadline);
  const acsCopyNeeded = async () => {
    if (deadline === "ok") return;
    await alertChunkDeadline(deps, payload, deadline, "running");
    // Past the expiry ACS answers 404 forever: fail for good (dead letter, ledger `failed`) instead of retrying.
    if (deadline === "lost")
      throw new UnrecoverableError(`chunk ${chunk.index} lost: ACS copy expired at ${payload.acsExpiresAt}`);
  };
  if (route.kind === "download") await acsCopyNeeded();
  if (route.kind === "download" && route.alert) alertStorage(deps, payload, route.alert, plan?.containerUrl);
  if (route.kind === "in-place") {
    const sealed = await sealInPlace(deps, payload, route.containerUrl, plan?.format).catch((error: unknown) => {
      // Not a recording (empty, another format, a metadata document that is no JSON object), or not protectable
      // there: ACS's own copy may be sound, so it is downloaded instead — never a refused blob sealed (docs/byos.md).
      if (!(error instanceof IngestRefused)) throw error;
      deps.logger.warn({ recordingId: payload.recordingId, err: error }, "blob in the customer's container refused");
      return "refused" as const;
    });
    if (sealed && sealed !== "refused") {
      await queuePeaks(deps, payload, sealed.content.url);
      return sealed;
    }
    // Announced as written, yet not there (or refused): the download path archives it within ACS's 24 h.
    alertStorage(deps, payload, sealed ? "customer-blob-refused" : "customer-blobs-missing", route.containerUrl);
    await acsCopyNeeded();
  }
  return download(deps, payload);
}

/** The customer container and format our start request named for this recording's call, if it named one. */
function plannedStorage(session: CallSession | undefined) {
  const decision = session?.decision;
  if (!decision?.record) return undefined;
  return { containerUrl: decision.recording.storage?.containerUrl, format: decision.recording.format };
}

/** Once per job run: an error log line with `alert`, and the metric; the recording still reaches the archive. */
function alertStorage(deps: Deps, payload: Payload, alert: string, containerUrl: string | undefined) {
  customerStorageFallbacks.inc({ why: alert });
  deps.logger.error(
    {
      serverCallId: payload.serverCallId,
      correlationId: payload.correlationId,
      recordingId: payload.recordingId,
      chunk: payload.chunk.index,
      storageType: payload.storageType,
      containerUrl,
      acsExpiresAt: payload.acsExpiresAt,
      alert,
    },
    "ALERT recording not sealed in the customer's container: downloading it from ACS instead",
  );
}

/** The download path: from ACS into the archive container (src/archive/ingest.ts), then sealed. */
async function download(deps: Deps, payload: Payload) {
  const { chunk } = payload;
  const recording = deps.acs.getCallRecording();
  // The metadata document first (small, read whole): its callId is one more clue to the call.
  const metadataBytes = await readDocument(
    await recording.downloadStreaming(chunk.metadataLocation),
    chunk.metadataLocation,
  );
  const placement = await settlePlacement(deps, payload, callIdOf(metadataBytes));
  const { names, labels, log } = chunkContext(payload, placement);
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
  const manifest = await sealChunk(deps, payload, placement, labels, {
    retention: deps.retention,
    blobs: [content.name, metadata.name],
  });
  // Only the document this job itself verified archived under this name (ingest.ts documentMismatch).
  if (deps.deleteAcsCopy && content.documentId !== chunk.documentId)
    throw new IngestVerificationFailed(`${content.name}: not verified as document ${chunk.documentId}`);
  await deleteAcsCopy(deps, payload, log);
  // Last: the waveform is for reviewers; re-reading (decoding, for MP3) the chunk is its own job, after archiving.
  await queuePeaks(deps, payload, content.name);
  const { document: _document, ...metadataBlob } = metadata;
  return { content, metadata: metadataBlob, manifest, placement: placement.kind, storage: "archive" as const };
}

/**
 * Our side only (docs/consent-flow.md "Our side only", docs/archive.md "Our side only"): the metadata document first
 * (participants → channel), then the WAV streamed from ACS — hashed as received — through the channel picker, so
 * that only the recording teams' members' channels are staged (resumable like any chunk: a retry reads ACS from the
 * start again and skips what was staged). The metadata document is archived as served; a record beside the chunk
 * says what was received, what was archived, and which channels went and why. Once sealed, ACS's copy is deleted
 * whatever ACS_DELETE_AFTER_ARCHIVE says: the refuser's audio must not stay at ACS for its 24 hours.
 */
async function downloadOurSide(deps: Deps, payload: Payload, session: CallSession) {
  const { chunk } = payload;
  const recording = deps.acs.getCallRecording();
  const metadataBytes = await readDocument(
    await recording.downloadStreaming(chunk.metadataLocation),
    chunk.metadataLocation,
  );
  const document = parseServedDocument(metadataBytes, chunk.metadataLocation);
  const placement = await settlePlacement(deps, payload, callIdOf(metadataBytes));
  const { names, labels, log } = chunkContext(payload, placement);
  if (payload.storageType && !/acs/i.test(payload.storageType))
    // Recorded before anyone refused, into the team's container (a joiner refusing mid-recording): ACS's copy is
    // stripped here, the customer's is not ours to change (docs/consent-flow.md "Limits").
    deps.logger.error(
      { ...log, storageType: payload.storageType, alert: "our-side-only-customer-copy" },
      "ALERT our side only, but ACS also wrote this chunk whole into the customer's container",
    );
  const unarchived = session.unarchivedParties ?? {};
  const strip = new Set(Object.keys(unarchived));
  const isOurs = recordingTeamMember(session.decision, deps.policies());
  const recordName = ourSideRecordName(names.content);
  const started = Date.now();
  /** ACS's copy of the chunk, read from its first byte and stripped to our channels. */
  const stripServed = async () =>
    strippedBody(
      (await recording.downloadStreaming(chunk.contentLocation)) as AsyncIterable<Buffer>,
      document,
      isOurs,
      strip,
    );
  let stripped: ReturnType<typeof strippedBody> | undefined;
  const open = async (offset: number) => {
    // Always from byte 0 of what ACS serves: the archived offset maps to no served offset we could trust (the served
    // header's length is only known once read), and the received hash covers the whole body.
    if (offset > 0) deps.logger.info({ ...log, offset }, "resuming a stripped chunk: reading ACS's copy again");
    stripped = await stripServed();
    return Readable.from(skipBytes(stripped.body, offset));
  };
  const content = await ingestContent(deps.container, names.content, open, { ...deps.ingest, ...labels }).catch(
    (error: unknown) => {
      throw error instanceof WavRefused ? new IngestRefused(`${names.content}: ${error.message}`) : error;
    },
  );
  if (content.documentId !== chunk.documentId)
    throw new IngestVerificationFailed(`${content.name}: not verified as document ${chunk.documentId}`);
  if (!stripped && !(await archivedRecord(deps, recordName))) {
    // Archived by an attempt that died before its record: ACS's copy is read once more, stripped the same way, and
    // must give the very bytes archived.
    const again = await stripServed();
    const hash = createHash("sha256");
    for await (const piece of again.body) hash.update(piece);
    if (hash.digest("hex") !== content.sha256)
      throw new IngestVerificationFailed(`${content.name}: ACS's copy stripped again is not what was archived`);
    stripped = again;
  }
  if (stripped) {
    const { format, selection } = stripped.selection();
    const record: OurSideRecord = {
      kind: "our-side-only",
      documentId: chunk.documentId,
      received: stripped.received(),
      archived: { sha256: content.sha256, sizeBytes: content.sizeBytes },
      channels: { served: format.channels, kept: selection.kept, dropped: selection.dropped },
      unplaced: selection.unplaced,
      unarchivedParties: unarchived,
    };
    if (selection.unplaced.some((p) => !isOurs(p)))
      // Whose audio a participant without a channel is mixed into (if any) is not documented: said loudly.
      deps.logger.error(
        { ...log, unplaced: selection.unplaced, alert: "our-side-only-unplaced" },
        "ALERT a participant who is not ours has no channel of their own in an our-side-only chunk",
      );
    await ingestDocument(
      deps.container,
      recordName,
      Readable.from([Buffer.from(JSON.stringify(record, null, 2))]),
      labels,
    );
    deps.logger.info(
      {
        ...log,
        blob: content.name,
        receivedSha256: record.received.sha256,
        receivedBytes: record.received.sizeBytes,
        sha256: content.sha256,
        sizeBytes: content.sizeBytes,
        kept: selection.kept.map((k) => k.channel),
        dropped: selection.dropped.map((d) => `${d.channel}:${d.why}`),
        ms: Date.now() - started,
      },
      "chunk archived, our side only",
    );
  }
  // The metadata document last: a chunk counts as archived for the manifest once both its blobs are (its record
  // written before them).
  const metadata = await ingestDocument(deps.container, names.metadata, Readable.from([metadataBytes]), labels);
  chunksArchived.inc({ outcome: content.outcome });
  const manifest = await sealChunk(deps, payload, placement, labels, {
    retention: deps.retention,
    blobs: [content.name, metadata.name, recordName],
  });
  await deleteAcsCopyOfRefuser(deps, payload, log);
  await queuePeaks(deps, payload, content.name);
  const { document: _document, ...metadataBlob } = metadata;
  return { content, metadata: metadataBlob, manifest, placement: placement.kind, storage: "archive" as const };
}

/** The served metadata document, checked; its participants are the channel map the chunk is stripped by. */
function parseServedDocument(bytes: Buffer, name: string) {
  try {
    return acsMetadataDocument.parse(JSON.parse(bytes.toString("utf8")));
  } catch {
    throw new IngestRefused(`${name}: metadata document unreadable: no channel map to keep our side by`);
  }
}

/** Whether a chunk's our-side record is archived (verified: it carries its sha256). */
async function archivedRecord(deps: Deps, name: string): Promise<boolean> {
  const properties = await deps.container
    .getBlockBlobClient(name)
    .getProperties()
    .catch(() => undefined);
  return properties?.metadata?.sha256 !== undefined;
}

/**
 * ACS's copy of an our-side-only chunk goes once it is sealed, whatever ACS_DELETE_AFTER_ARCHIVE says (SDK 1.6.0
 * `CallRecording.delete(deleteLocation)`, docs/acs-payloads.md "Recording files"). A failure is alerted, not retried:
 * the chunk is safe in the archive, and ACS drops its copy after 24 h anyway.
 */
async function deleteAcsCopyOfRefuser(deps: Deps, payload: Payload, log: Record<string, unknown>): Promise<void> {
  const deleteLocation = payload.chunk.deleteLocation;
  try {
    await deps.acs.getCallRecording().delete(deleteLocation);
    deps.logger.info({ ...log, deleteLocation }, "ACS copy of an our-side-only chunk deleted");
  } catch (error) {
    if (isRecordingStatus(error, 404)) return; // an earlier attempt deleted it
    deps.logger.error(
      { ...log, deleteLocation, err: error, alert: "our-side-only-acs-copy-kept" },
      "ALERT ACS's copy of an our-side-only chunk (every channel) could not be deleted: it stays at ACS until it expires",
    );
  }
}

/**
 * Bring your own storage: the chunk's blobs in the customer's container (Microsoft's layout), each read once —
 * SHA-256, size and format of the content, the metadata document a JSON object — and labelled on condition that
 * they are still the version read; then a seal record in the archive says where they are, and `sealChunk` does the
 * rest. Undefined when the blobs are not there (the caller downloads instead).
 */
async function sealInPlace(deps: Deps, payload: Payload, containerUrl: string, format: string | undefined) {
  const { chunk } = payload;
  const callId = payload.callId;
  if (!callId) return undefined; // every documented subject names the call id; without it the folder is unknown
  const container = customerContainer(deps.container, containerUrl);
  const recordingId = payload.recordingId.startsWith(DOCUMENT_KEY_PREFIX) ? undefined : payload.recordingId;
  const found = await findChunkBlobs(container, {
    prefix: parseContainerUrl(containerUrl).prefix,
    callId,
    days: candidateDays(payload.recordingStartTime, payload.eventTime),
    chunk: { index: chunk.index, documentId: chunk.documentId, recordingId },
  });
  const [contentName, ...duplicates] = found.content;
  const [metadataName] = found.metadata;
  if (!contentName || !metadataName) return undefined;
  const started = Date.now();
  const metadataBlob = container.getBlobClient(metadataName);
  const read = await readDocumentInPlace(metadataBlob);
  const placement = await settlePlacement(deps, payload, callIdOf(read.bytes));
  const { names, labels, log } = chunkContext(payload, placement);
  if (duplicates.length > 0)
    // A known issue of ACS's export (BYOS overview): the first in name order is sealed, the others named.
    deps.logger.warn({ ...log, sealed: contentName, duplicates }, "ACS wrote this chunk more than once");
  const content = await sealContentInPlace(container.getBlobClient(contentName), labels, format);
  const metadata = await sealDocumentInPlace(metadataBlob, read, labels);
  // Protected where they lie before anything says they are sealed: a container that cannot hold retention or a
  // legal hold (no version-level immutability, no rights) is not a place to keep them — the chunk is downloaded.
  const retention = deps.retention.kind === "azure" ? azureRetention(container) : deps.retention;
  try {
    await retention.protect(content.name, protectionOf(labels, placement));
    await retention.protect(metadata.name, protectionOf(labels, placement));
  } catch (error) {
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === "number" && [400, 403, 409, 501].includes(status)) {
      deps.logger.warn({ ...log, status, err: error }, "the customer's container cannot protect the chunk");
      throw new IngestRefused(`${content.name}: retention or legal hold refused (${status})`);
    }
    throw error;
  }
  const record = {
    kind: "sealed-in-place",
    containerUrl,
    documentId: chunk.documentId,
    content: {
      url: content.url,
      sizeBytes: content.sizeBytes,
      sha256: content.sha256,
      contentType: content.contentType,
    },
    metadata: { url: metadata.url, sizeBytes: metadata.sizeBytes, sha256: metadata.sha256 },
    ...(duplicates.length > 0 ? { duplicates: duplicates.map((name) => container.getBlobClient(name).url) } : {}),
  };
  const sealRecord = await ingestDocument(
    deps.container,
    sealRecordName(names.content),
    Readable.from([Buffer.from(JSON.stringify(record, null, 2))]),
    labels,
  );
  chunksArchived.inc({ outcome: "in-place" });
  deps.logger.info(
    {
      ...log,
      blob: content.url,
      sizeBytes: content.sizeBytes,
      sha256: content.sha256,
      sealRecord: sealRecord.name,
      ms: Date.now() - started,
    },
    "chunk sealed in the customer's container",
  );
  const manifest = await sealChunk(deps, payload, placement, labels, {
    retention: deps.retention,
    blobs: [sealRecord.name],
  });
  await deleteAcsCopy(deps, payload, log);
  return {
    content: { ...content, outcome: "in-place" as const },
    metadata: { url: metadata.url, sizeBytes: metadata.sizeBytes, sha256: metadata.sha256 },
    sealRecord: sealRecord.name,
    manifest,
    placement: placement.kind,
    storage: "customer" as const,
  };
}

/** Beside where a downloaded chunk would be: `chunk-<nnnn>.inplace.json`, the record of a chunk sealed in place. */
const sealRecordName = (contentName: string) => contentName.replace(/\.[a-z0-9]+$/, ".inplace.json");

/** The blob names, labels and log fields of one chunk under its recording's placement. */
function chunkContext(payload: Payload, placement: Placement) {
  const { correlationId, recordingId, chunk } = payload;
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
  return { names, labels, log };
}

function protectionOf(labels: Labels, placement: Placement) {
  const until = labels.tags.retainuntil;
  return { until: until ? new Date(until) : undefined, legalHold: placement.retention.legalHold };
}

/**
 * How a chunk is sealed once its bytes are verified, downloaded or in place alike: retention and legal hold on
 * its blobs in the archive container, the manifest once every chunk of the recording is sealed (protected too),
 * the listing entry and the ledger line (or the quarantine entry).
 */
async function sealChunk(
  deps: Deps,
  payload: Payload,
  placement: Placement,
  labels: Labels,
  sealed: { retention: Deps["retention"]; blobs: string[] },
): Promise<string | undefined> {
  const { correlationId, recordingId } = payload;
  const log = { serverCallId: placement.serverCallId, correlationId, recordingId, chunk: payload.chunk.index };
  // Retention and hold go on only once the copy is verified; then, and only then, ACS's copy may go.
  const protection = protectionOf(labels, placement);
  for (const blob of sealed.blobs) await sealed.retention.protect(blob, protection);
  const manifest = await writeManifestIfComplete(deps, payload, placement, labels);
  if (!manifest) return undefined;
  await sealed.retention.protect(manifest, protection);
  if (placement.kind === "call") {
    // Listed for QA retrieval from now on (idempotent: a retried job indexes it again, to the same entry).
    const indexed = await indexManifest(deps.container, deps.recordings, manifest);
    if (!indexed) deps.logger.error({ ...log, manifest, alert: "manifest-unreadable" }, "ALERT manifest not indexable");
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
  return manifest;
}

/** ACS's copy goes (`ACS_DELETE_AFTER_ARCHIVE=true`) only after the chunk was sealed. */
async function deleteAcsCopy(deps: Deps, payload: Payload, log: Record<string, unknown>): Promise<void> {
  if (!deps.deleteAcsCopy) return;
  await deps.acs
    .getCallRecording()
    .delete(payload.chunk.deleteLocation)
    .catch((error: unknown) => {
      // Already gone (an earlier attempt deleted it): nothing left to do.
      if (!isRecordingStatus(error, 404)) throw error;
    });
  deps.logger.info({ ...log, deleteLocation: payload.chunk.deleteLocation }, "ACS copy deleted after verified archive");
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

/** The call's consent evidence, for its recordings' manifests (docs/consent-flow.md). */
function consentOfSession(session: CallSession | undefined) {
  const consent = session ? consentRecordOf(session) : undefined;
  return consent ? { consent } : {};
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
    if (!content?.metadata?.sha256) {
      // Sealed in the customer's container instead (docs/byos.md)? Its record says where, and what was read.
      const inPlace = await sealedInPlaceChunk(deps, names.content, c);
      if (!inPlace) return undefined; // not the last one in
      archived.push(inPlace);
      continue;
    }
    const metadataBlob = deps.container.getBlockBlobClient(names.metadata);
    const metadata = await metadataBlob.getProperties().catch(() => undefined);
    if (!content?.metadata?.sha256 || !metadata?.metadata?.sha256) return undefined; // not the last one in
    if (content.metadata.documentid !== c.documentId)
      throw new IngestVerificationFailed(`${names.content}: holds document ${content.metadata.documentid ?? "?"}`);
    const document = acsMetadataDocument.parse(JSON.parse((await metadataBlob.downloadToBuffer()).toString("utf8")));
    const ourSide = await ourSideRecordOf(deps, names.content, c.documentId);
    archived.push({
      ...(ourSide ? { ourSide } : {}),
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
    ...consentOfSession(session),
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

/** The our-side record of a stripped chunk (archived, so verified), if it has one. */
async function ourSideRecordOf(deps: Deps, contentName: string, documentId: string) {
  const blob = deps.container.getBlockBlobClient(ourSideRecordName(contentName));
  const properties = await blob.getProperties().catch(() => undefined);
  if (!properties?.metadata?.sha256) return undefined;
  const record = ourSideRecord.parse(JSON.parse((await blob.downloadToBuffer()).toString("utf8")));
  if (record.documentId !== documentId)
    throw new IngestVerificationFailed(`${blob.name}: names document ${record.documentId}`);
  return record;
}

/** A chunk sealed in place, as its seal record names it; undefined when there is no sealed record (yet). */
async function sealedInPlaceChunk(
  deps: Deps,
  contentName: string,
  c: { index: number; documentId: string; endReason: string },
): Promise<ArchivedChunk | undefined> {
  const recordBlob = deps.container.getBlockBlobClient(sealRecordName(contentName));
  const properties = await recordBlob.getProperties().catch(() => undefined);
  if (!properties?.metadata?.sha256) return undefined;
  const record = sealRecord.parse(JSON.parse((await recordBlob.downloadToBuffer()).toString("utf8")));
  if (record.documentId !== c.documentId)
    throw new IngestVerificationFailed(`${recordBlob.name}: names document ${record.documentId}`);
  const bytes = await blobAt(deps.container, record.metadata.url).downloadToBuffer();
  const document = acsMetadataDocument.parse(JSON.parse(bytes.toString("utf8")));
  return {
    index: c.index,
    documentId: c.documentId,
    endReason: c.endReason,
    content: {
      blob: record.content.url,
      sizeBytes: record.content.sizeBytes,
      sha256: record.content.sha256,
      contentType: record.content.contentType,
    },
    metadata: { blob: record.metadata.url, sha256: record.metadata.sha256, document },
  };
}

const sealRecord = z.object({
  documentId: z.string(),
  content: z.object({ url: z.string(), sizeBytes: z.number(), sha256: z.string(), contentType: z.string() }),
  metadata: z.object({ url: z.string(), sha256: z.string() }),
});

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
 * Queues the chunk's waveform peaks (workers/jobs/ingest/chunk-peaks.ts), for the QA page: a job of its own, behind
 * every chunk still to archive, so this job does not read (or decode) the chunk a second time. Keyed by the chunk's
 * blob: a retried ingest queues it once. Derived data: a failure to queue is logged and the chunk stays archived.
 */
async function queuePeaks(deps: Deps, payload: Payload, chunkBlob: string) {
  const { serverCallId, correlationId, recordingId } = payload;
  await deps.queues
    .enqueue(chunkPeaks, { blob: chunkBlob, recordingId, serverCallId, correlationId })
    .catch((err: unknown) =>
      deps.logger.warn(
        { serverCallId, correlationId, recordingId, chunk: payload.chunk.index, err },
        "waveform peaks not queued",
      ),
    );
}
