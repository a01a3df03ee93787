import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import type { ExportPayload } from "../queues/payloads.js";
import { readManifest } from "./archive-reader.js";
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
import { maySee } from "./summary.js";

export interface ExportPorts {
  /** The archive. */
  source: ContainerClient;
  /** The export container. */
  target: ContainerClient;
  index: Pick<RecordingIndex, "get">;
  progress: (progress: ExportProgress) => Promise<void>;
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
  problems: string[];
}

const isStatus = (error: unknown, status: number) =>
  typeof error === "object" && error !== null && "statusCode" in error && error.statusCode === status;
const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;

/**
 * Copies the selected recordings (chunks, metadata documents, manifests) into the export folder, hashing every
 * byte on the way and comparing with the manifest; a copy is marked verified (`verifiedsha256` metadata) only
 * after that. Resumable: a file already copied and verified by an earlier attempt is skipped, so a retried job
 * continues where the interrupted one stopped. A file that does not match is removed from the bundle and
 * recorded as such; the export then ends with ok: false. Any storage error throws (BullMQ retries).
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
    const download = await ports.source
      .getBlobClient(source)
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
    await target.uploadStream(hashed, UPLOAD_BLOCK_BYTES, 2, {
      blobHTTPHeaders: { blobContentType: download.contentType ?? "application/octet-stream" },
    });
    const actualSha256 = hash.digest("hex");
    counters.bytesCopied += size;
    if (actualSha256 !== expectedSha256) {
      await target.deleteIfExists();
      return { ...file, actualSha256, sizeBytes: size, ok: false, copiedBy: "this attempt", verifiedAt: null };
    }
    const verifiedAt = now().toISOString();
    await target.setMetadata({ verifiedsha256: actualSha256, verifiedat: verifiedAt });
    counters.filesCopied++;
    return { ...file, actualSha256, sizeBytes: size, ok: true, copiedBy: "this attempt", verifiedAt };
  };

  const recordings: ExportedRecording[] = [];
  for (const recordingId of payload.recordingIds) {
    const recording = await ports.index.get(recordingId);
    // The API selected within the requester's scope; checked again here, since the payload sits in Redis.
    if (!recording || !maySee(payload.requestedBy, recording.team)) {
      recordings.push({ recordingId, serverCallId: null, team: null, ok: false, problems: ["not found"], files: [] });
    } else {
      const files: ExportedFile[] = [];
      const problems: string[] = [];
      const manifestFile = await copyVerified("manifest", recording.manifestBlob, recording.manifestSha256);
      files.push(manifestFile);
      if (!manifestFile.ok) problems.push("manifest missing or differs from the hash recorded when it was archived");
      // The chunk list comes from the archive's manifest as read now; a tampered one is flagged above.
      const manifest = (await readManifest(ports.source, recording.manifestBlob))?.manifest;
      if (!manifest) problems.push("manifest unreadable: chunks not exported");
      for (const chunk of manifest?.chunks ?? []) {
        files.push(await copyVerified("chunk", chunk.blob, chunk.sha256, chunk.index));
        files.push(await copyVerified("metadata", chunk.metadataBlob, chunk.metadataSha256, chunk.index));
        await ports.progress({ ...counters });
      }
      for (const f of files.filter((f) => !f.ok && f.kind !== "manifest"))
        problems.push(
          `${f.kind} ${f.chunk}: ${f.actualSha256 === null ? "missing" : "SHA-256 differs from the manifest"}`,
        );
      recordings.push({
        recordingId,
        serverCallId: recording.serverCallId,
        team: recording.team,
        ok: problems.length === 0,
        problems,
        files,
      });
    }
    counters.recordingsDone++;
    await ports.progress({ ...counters });
  }

  const custody = chainOfCustody({ payload, recordings, attempt: ports.attempt, completedAt: now().toISOString() });
  await upload(ports.target, `${folder}/${SHA256SUMS}`, sha256sums(recordings), "text/plain; charset=utf-8");
  await upload(ports.target, `${folder}/${CHAIN_OF_CUSTODY}`, JSON.stringify(custody, null, 2), "application/json");
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

async function upload(container: ContainerClient, name: string, text: string, contentType: string) {
  const bytes = Buffer.from(text);
  await container
    .getBlockBlobClient(name)
    .upload(bytes, bytes.length, { blobHTTPHeaders: { blobContentType: contentType } });
}
