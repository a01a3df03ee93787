/**
 * Verification of an archived recording (pure): what was read back from Blob, compared with the manifest and
 * with the manifest hash the index recorded when the manifest was written, and the manifest's signature
 * (docs/evidence.md "Signed manifests"): intact, unsigned (written before signing: not a failure), or what
 * does not match.
 */
import type { ManifestSignatureReport } from "../archive/index.js";
import type { ArchivedManifest } from "./summary.js";

/** A blob as read back: its bytes' SHA-256 and size, and the `sha256` its metadata claims; null when missing. */
export type Observed = { sha256: string; sizeBytes: number; metadataSha256?: string | undefined } | null;

export interface ChunkReport {
  index: number;
  blob: string;
  expected: { sha256: string; sizeBytes: number };
  actual: { sha256: string; sizeBytes: number } | null;
  metadataDocument: { blob: string; expectedSha256: string; actualSha256: string | null; ok: boolean };
  ok: boolean;
  problems: string[];
}

export interface VerificationReport {
  recordingId: string;
  ok: boolean;
  verifiedAt: string;
  manifest: {
    blob: string;
    expectedSha256: string;
    blobMetadataSha256: string | null;
    actualSha256: string | null;
    ok: boolean;
    problems: string[];
    /** null when there is no manifest to read a signature from. */
    signature: ManifestSignatureReport | null;
  };
  chunks: ChunkReport[];
}

export interface VerificationInput {
  recordingId: string;
  manifestBlob: string;
  /** What the manifest hashed to when it was indexed. */
  expectedManifestSha256: string;
  manifestObserved: Observed;
  /** The manifest as read back (undefined when it is missing or not a manifest). */
  manifest: ArchivedManifest | undefined;
  /** By chunk index: the content and metadata document as read back. */
  chunks: Map<number, { content: Observed; metadata: Observed }>;
  /** The manifest's signature as checked (null when the manifest was not read). */
  signature: ManifestSignatureReport | null;
  verifiedAt: string;
}

export function chunkReport(
  chunk: ArchivedManifest["chunks"][number],
  observed: { content: Observed; metadata: Observed },
): ChunkReport {
  const { content, metadata } = observed;
  const problems: string[] = [];
  if (!content) problems.push("content blob missing");
  else {
    if (content.sha256 !== chunk.sha256) problems.push("content SHA-256 differs from the manifest");
    if (content.sizeBytes !== chunk.sizeBytes) problems.push("content size differs from the manifest");
    if (content.metadataSha256 !== undefined && content.metadataSha256 !== chunk.sha256)
      problems.push("the blob's sha256 metadata differs from the manifest");
  }
  if (!metadata) problems.push("metadata document missing");
  else if (metadata.sha256 !== chunk.metadataSha256)
    problems.push("metadata document SHA-256 differs from the manifest");
  return {
    index: chunk.index,
    blob: chunk.blob,
    expected: { sha256: chunk.sha256, sizeBytes: chunk.sizeBytes },
    actual: content ? { sha256: content.sha256, sizeBytes: content.sizeBytes } : null,
    metadataDocument: {
      blob: chunk.metadataBlob,
      expectedSha256: chunk.metadataSha256,
      actualSha256: metadata?.sha256 ?? null,
      ok: metadata?.sha256 === chunk.metadataSha256,
    },
    ok: problems.length === 0,
    problems,
  };
}

export function verificationReport(input: VerificationInput): VerificationReport {
  const observed = input.manifestObserved;
  const problems: string[] = [];
  if (!observed) problems.push("manifest blob missing");
  else {
    if (observed.sha256 !== input.expectedManifestSha256) problems.push("manifest SHA-256 differs from the index");
    if (observed.metadataSha256 !== undefined && observed.metadataSha256 !== observed.sha256)
      problems.push("manifest SHA-256 differs from its blob metadata");
  }
  if (observed && !input.manifest) problems.push("manifest is not a readable manifest");
  if (input.signature?.status === "invalid") problems.push(`signature: ${input.signature.summary}`);
  const chunks = (input.manifest?.chunks ?? []).map((chunk) =>
    chunkReport(chunk, input.chunks.get(chunk.index) ?? { content: null, metadata: null }),
  );
  const manifestOk = problems.length === 0;
  return {
    recordingId: input.recordingId,
    ok: manifestOk && chunks.length > 0 && chunks.every((c) => c.ok),
    verifiedAt: input.verifiedAt,
    manifest: {
      blob: input.manifestBlob,
      expectedSha256: input.expectedManifestSha256,
      blobMetadataSha256: observed?.metadataSha256 ?? null,
      actualSha256: observed?.sha256 ?? null,
      ok: manifestOk,
      problems,
      signature: input.signature,
    },
    chunks,
  };
}
