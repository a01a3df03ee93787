import { createHash } from "node:crypto";
import type { ContainerClient } from "@azure/storage-blob";
import { blobAt, manifestSignatureReport } from "../archive/index.js";
import type { EvidenceVerifier } from "../evidence/index.js";
import { archivedManifest, type ArchivedManifest, type IndexedRecording } from "./summary.js";
import { verificationReport, type Observed, type VerificationReport } from "./verify.js";

/**
 * Reads archived recordings back from Blob: manifests, whole-blob hashes, verification. The imperative shell
 * around verify.ts and summary.ts.
 */
const isStatus = (error: unknown, status: number) =>
  typeof error === "object" && error !== null && "statusCode" in error && error.statusCode === status;

/** Streams a blob and hashes it; null when it does not exist. A name, or the URL of a blob sealed in place (docs/byos.md). */
export async function hashBlob(container: ContainerClient, name: string): Promise<Observed> {
  try {
    const download = await blobAt(container, name).download(0);
    const hash = createHash("sha256");
    let size = 0;
    for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) {
      hash.update(piece);
      size += piece.length;
    }
    return { sha256: hash.digest("hex"), sizeBytes: size, metadataSha256: download.metadata?.sha256 };
  } catch (error) {
    if (isStatus(error, 404)) return null;
    throw error;
  }
}

export interface ReadManifest {
  bytes: Buffer;
  sha256: string;
  metadataSha256: string | undefined;
  manifest: ArchivedManifest | undefined;
}

/** The manifest blob's bytes, hash and parsed content (undefined content when it is not a manifest); null when missing. */
export async function readManifest(container: ContainerClient, name: string): Promise<ReadManifest | null> {
  try {
    const blob = container.getBlobClient(name);
    const download = await blob.download(0);
    const parts: Buffer[] = [];
    for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) parts.push(piece);
    const bytes = Buffer.concat(parts);
    let manifest: ArchivedManifest | undefined;
    try {
      const parsed = archivedManifest.safeParse(JSON.parse(bytes.toString("utf8")));
      manifest = parsed.success ? parsed.data : undefined;
    } catch {
      manifest = undefined;
    }
    return {
      bytes,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      metadataSha256: download.metadata?.sha256,
      manifest,
    };
  } catch (error) {
    if (isStatus(error, 404)) return null;
    throw error;
  }
}

/** Re-reads every byte of a recording (manifest, chunks, their metadata documents) and compares. */
export async function verifyRecording(
  container: ContainerClient,
  recording: IndexedRecording,
  now: () => Date = () => new Date(),
  verifier?: EvidenceVerifier,
): Promise<VerificationReport> {
  const read = await readManifest(container, recording.manifestBlob);
  const chunks = new Map<number, { content: Observed; metadata: Observed }>();
  // One chunk at a time: a recording can be gigabytes, and verification should not crowd out ingest.
  for (const chunk of read?.manifest?.chunks ?? []) {
    chunks.set(chunk.index, {
      content: await hashBlob(container, chunk.blob),
      metadata: await hashBlob(container, chunk.metadataBlob),
    });
  }
  return verificationReport({
    recordingId: recording.recordingId,
    manifestBlob: recording.manifestBlob,
    expectedManifestSha256: recording.manifestSha256,
    manifestObserved: read
      ? { sha256: read.sha256, sizeBytes: read.bytes.length, metadataSha256: read.metadataSha256 }
      : null,
    manifest: read?.manifest,
    chunks,
    signature: read ? manifestSignatureReport(parsedJson(read.bytes), verifier) : null,
    verifiedAt: now().toISOString(),
  });
}

/** The manifest's bytes as JSON (undefined when they are not JSON: the signature check then says so). */
function parsedJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}
