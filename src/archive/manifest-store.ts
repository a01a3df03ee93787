/**
 * Writes a recording's manifest (workers/jobs/ingest-chunk.ts, src/archive/assign.ts): signed with the evidence
 * key when one is given (manifest-signature.ts), then stored as any small archived document is
 * (ingestDocument: one block, Content-MD5, `If-None-Match: *`, its SHA-256 in metadata and tags).
 */
import { Readable } from "node:stream";
import type { ContainerClient } from "@azure/storage-blob";
import type { EvidenceSigner } from "../evidence/index.js";
import { ingestDocument, type IngestOptions } from "./ingest.js";
import { signManifest } from "./manifest-signature.js";

export async function writeManifest(
  container: ContainerClient,
  name: string,
  manifest: object,
  labels: Pick<IngestOptions, "metadata" | "tags">,
  signer: EvidenceSigner | undefined,
) {
  const document = signer ? signManifest(manifest, signer) : manifest;
  return ingestDocument(container, name, Readable.from([Buffer.from(JSON.stringify(document))]), labels);
}
