import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import type { ExportPayload } from "../queues/index.js";
import { blobAt } from "../archive/index.js";
import { hashBlob, readManifest } from "./archive-reader.js";
import {
  bundlePath,
  chainOfCustody,
  CHAIN_OF_CUSTODY,
  sha256sums,
  SHA256SUMS,
  type ExportedFile,
  type ExportedRecording,
  type ExportProgress,
} from "./bundle.js";
import type { RecordingIndex } from "./index-store.js";
import type { ArchivedManifest, IndexedRecording } from "./summary.js";
import { mayDo } from "../auth/index.js";
import type { NamedIdentity } from "../directory/index.js";

export interface ExportPorts {
  /** The archive. */
  source: ContainerClient;
  /** The export container. */
  target: ContainerClient;
  index: Pick<RecordingIndex, "get">;
  progress: (progress: ExportProgress) => Promise<void>;
  /** A recording's participants with their names as the team's directory has them now; without it, none are written. */
  names?: (recording: IndexedRecording) => Promise<NamedIdentity[]>;
  /** 1 for the first attempt; more when BullMQ retries an interrupted export. */
  attempt: number;
  now?: () => Date;
}

export interface ExportResult {
  exportId: string;
  ok: boolean;
  recordings: number;
  recordingsOk: number;
  filesCopied: number;
  filesSkipped: number;
  bytesCopied: number;
  target: { container: string; folder: string };
  chainOfCustody: string;
  sha256sums: string;
  /** A zip export's blob (docs/evidence.md "Bundles"). */
  bundle?: string;
  problems: string[];
}

const isStatus = (error: unknown, status: number) =>
  typeof error === "object" && error !== null && "statusCode" in error && error.statusCode === status;
/** A conditional write found the blob there already (409 BlobAlreadyExists; 412 for a failed condition). */
const isAlreadyThere = (error: unknown) => isStatus(error, 409) || isStatus(error, 412);
const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
/** Writes only where nothing is: an export never replaces a blob, its own earlier attempts' included. */
const IF_ABSENT = { ifNoneMatch: "*" };

/** An export that would have to replace a blob in its folder: it stops (no retry) rather than overwrite. */
export class ExportTargetTaken extends Error {
  constructor(blob: string) {
    super(`a different ${blob} is already in the export folder: not overwritten`);
    this.name = "ExportTargetTaken";
  }
}

/**
 * Copies the selected recordings (chunks, metadata documents, manifests) into the export folder, hashing every
 * byte on the way and comparing with the manifest; a copy is marked verified (`verifiedsha256` metadata) only
 * after that. Resumable: a file already copied and verified by an earlier attempt is skipped, so a retried job
 * continues where the interrupted one stopped. A file that does not match is removed from the bundle and
 * recorded as such; the export then ends with ok: false. Any storage error throws (BullMQ retries).
 * Every write is conditional (If-None-Match: *): a blob already in the folder is never replaced — one an earlier
 * attempt copied but did not mark is hashed and kept if it is right, reported (and left alone) if not.
 */
export async function runExport(ports: ExportPorts, payload: ExportPayload): Promise<ExportResult> {
  const now = ports.now ?? (() => new Date());
  const folder = payload.target.folder;
  await ports.target.createIfNotExists();
  const counters: ExportProgress = {
    recordingsDone: 0,
    recordingsTotal: payload.recordingIds.length,
    filesCopied: 0,
    filesSkipped: 0,
    bytesCopied: 0,
  };

  const copyVerified = async (
    kind: ExportedFile["kind"],
    source: string,
    expectedSha256: string,
    chunk?: number,
  ): Promise<ExportedFile> => {
    const path = bundlePath(source);
    const file = { kind, ...(chunk !== undefined ? { chunk } : {}), source, path, expectedSha256 };
    const target = ports.target.getBlockBlobClient(`${folder}/${path}`);
    const existing = await target.getProperties().catch((error: unknown) => {
      if (isStatus(error, 404)) return undefined;
      throw error;
    });
    if (existing?.metadata?.verifiedsha256 === expectedSha256) {
      counters.filesSkipped++;
      return {
        ...file,
        actualSha256: expectedSha256,
        sizeBytes: existing.contentLength ?? null,
        ok: true,
        copiedBy: "earlier attempt",
        verifiedAt: existing.metadata.verifiedat ?? null,
      };
    }
    // There, but not marked verified: an attempt that died between writing and marking, or a blob that is not
    // ours. It is kept either way; it counts only if it holds exactly the bytes the manifest names.
    const keepExisting = async (): Promise<ExportedFile> => {
      const found = await hashBlob(ports.target, target.name);
      if (found?.sha256 !== expectedSha256)
        return {
          ...file,
          actualSha256: found?.sha256 ?? null,
          sizeBytes: found?.sizeBytes ?? null,
          ok: false,
          copiedBy: "earlier attempt",
          verifiedAt: null,
          problem: "a different file is already at its place in the export folder (not overwritten)",
        };
      const verifiedAt = now().toISOString();
      await target.setMetadata({ verifiedsha256: expectedSha256, verifiedat: verifiedAt });
      counters.filesSkipped++;
      return {
        ...file,
        actualSha256: expectedSha256,
        sizeBytes: found.sizeBytes,
        ok: true,
        copiedBy: "earlier attempt",
        verifiedAt,
      };
    };
    if (existing) return keepExisting();
    // A name in the archive, or the URL of a chunk sealed in the customer's container (docs/byos.md).
    const download = await blobAt(ports.source, source)
      .download(0)
      .catch((error: unknown) => {
        if (isStatus(error, 404)) return undefined;
        throw error;
      });
    if (!download?.readableStreamBody)
      return { ...file, actualSha256: null, sizeBytes: null, ok: false, copiedBy: "this attempt", verifiedAt: null };
    const hash = createHash("sha256");
    let size = 0;
    const body = download.readableStreamBody as AsyncIterable<Buffer>;
    const hashed = Readable.from(
      (async function* () {
        for await (const piece of body) {
          hash.update(piece);
          size += piece.length;
          yield piece;
        }
      })(),
    );
    let written;
    try {
      written = await target.uploadStream(hashed, UPLOAD_BLOCK_BYTES, 2, {
        blobHTTPHeaders: { blobContentType: download.contentType ?? "application/octet-stream" },
        conditions: IF_ABSENT,
      });
    } catch (error) {
      if (isAlreadyThere(error)) return keepExisting();
      throw error;
    }
    const actualSha256 = hash.digest("hex");
    counters.bytesCopied += size;
    if (actualSha256 !== expectedSha256) {
      // What this attempt just wrote, and only that (its ETag), leaves the bundle.
      await target.deleteIfExists({ conditions: { ifMatch: written.etag } });
      return { ...file, actualSha256, sizeBytes: size, ok: false, copiedBy: "this attempt", verifiedAt: null };
    }
    const verifiedAt = now().toISOString();
    await target.setMetadata({ verifiedsha256: actualSha256, verifiedat: verifiedAt });
    counters.filesCopied++;
    return { ...file, actualSha256, sizeBytes: size, ok: true, copiedBy: "this attempt", verifiedAt };
  };

  const recordings = await exportSelectedRecordings(payload, ports, counters, {
    async manifest(recording) {
      const file = await copyVerified("manifest", recording.manifestBlob, recording.manifestSha256);
      // The chunk list comes from the archive's manifest as read now; a tampered one is flagged by its hash.
      return { file, manifest: (await readManifest(ports.source, recording.manifestBlob))?.manifest };
    },
    file: copyVerified,
  });

  const custody = chainOfCustody({ payload, recordings, attempt: ports.attempt, completedAt: now().toISOString() });
  await upload(ports.target, `${folder}/${SHA256SUMS}`, sha256sums(recordings), "text/plain; charset=utf-8");
  await upload(
    ports.target,
    `${folder}/${CHAIN_OF_CUSTODY}`,
    JSON.stringify(custody, null, 2),
    "application/json",
    true,
  );
  return {
    exportId: payload.exportId,
    ok: custody.ok,
    recordings: recordings.length,
    recordingsOk: recordings.filter((r) => r.ok).length,
    filesCopied: counters.filesCopied,
    filesSkipped: counters.filesSkipped,
    bytesCopied: counters.bytesCopied,
    target: payload.target,
    chainOfCustody: `${folder}/${CHAIN_OF_CUSTODY}`,
    sha256sums: `${folder}/${SHA256SUMS}`,
    problems: recordings.flatMap((r) => r.problems.map((p) => `${r.recordingId}: ${p}`)),
  };
}

/**
 * Writes a bundle record if absent. Already there with the same bytes (an attempt that died after writing it):
 * done. Already there and different: `replaceable` says whether that is expected (the chain of custody names
 * the attempt, so a resumed export's differs; the first one written stays), else the export stops.
 */
async function upload(
  container: ContainerClient,
  name: string,
  text: string,
  contentType: string,
  replaceable = false,
) {
  const bytes = Buffer.from(text);
  const blob = container.getBlockBlobClient(name);
  try {
    await blob.upload(bytes, bytes.length, {
      blobHTTPHeaders: { blobContentType: contentType },
      conditions: IF_ABSENT,
    });
  } catch (error) {
    if (!isAlreadyThere(error)) throw error;
    if (replaceable || (await blob.downloadToBuffer()).equals(bytes)) return;
    throw new ExportTargetTaken(name);
  }
}

/**
 * How one export form (a folder, or a zip: zip-export.ts) puts a recording's files where they go: its manifest
 * (with the manifest's content, for the chunk list), then each chunk and metadata document, each verified against
 * the SHA-256 it should have.
 */
export interface RecordingFileWriter {
  manifest(recording: IndexedRecording): Promise<{ file: ExportedFile; manifest: ArchivedManifest | undefined }>;
  file(kind: ExportedFile["kind"], source: string, expectedSha256: string, chunk?: number): Promise<ExportedFile>;
}

/**
 * The walk both export forms make over the selection: the requester's scope checked again (the payload sits in
 * Redis), the manifest first, then every chunk with its metadata document, what failed named per recording, and
 * progress after each chunk and each recording.
 */
export async function exportSelectedRecordings(
  payload: ExportPayload,
  ports: Pick<ExportPorts, "index" | "progress" | "names">,
  counters: ExportProgress,
  writer: RecordingFileWriter,
): Promise<ExportedRecording[]> {
  const recordings: ExportedRecording[] = [];
  for (const recordingId of payload.recordingIds) {
    const recording = await ports.index.get(recordingId);
    // The API selected within the requester's scope; checked again here, since the payload sits in Redis.
    if (!recording || !mayDo(payload.requestedBy, "export", { team: recording.team })) {
      recordings.push({ recordingId, serverCallId: null, team: null, ok: false, problems: ["not found"], files: [] });
    } else {
      const problems: string[] = [];
      const { file: manifestFile, manifest } = await writer.manifest(recording);
      const files: ExportedFile[] = [manifestFile];
      if (!manifestFile.ok) problems.push("manifest missing or differs from the hash recorded when it was archived");
      if (!manifest) problems.push("manifest unreadable: chunks not exported");
      for (const chunk of manifest?.chunks ?? []) {
        files.push(await writer.file("chunk", chunk.blob, chunk.sha256, chunk.index));
        files.push(await writer.file("metadata", chunk.metadataBlob, chunk.metadataSha256, chunk.index));
        await ports.progress({ ...counters });
      }
      for (const f of files.filter((f) => !f.ok && f.kind !== "manifest"))
        problems.push(
          `${f.kind} ${f.chunk}: ${f.problem ?? (f.actualSha256 === null ? "missing" : "SHA-256 differs from the manifest")}`,
        );
      recordings.push({
        recordingId,
        serverCallId: recording.serverCallId,
        team: recording.team,
        ...(ports.names ? { people: await ports.names(recording) } : {}),
        ok: problems.length === 0,
        problems,
        files,
      });
    }
    counters.recordingsDone++;
    await ports.progress({ ...counters });
  }
  return recordings;
}
