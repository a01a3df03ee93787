/**
 * One side of the byos-seal benchmark, in its own process so its peak RSS is its own (bench/byos-seal.ts):
 * `read` streams the blob and counts its bytes (the baseline: nothing else); `seal` seals it in place as the
 * ingest job does (src/archive/customer-storage.ts: one read with SHA-256, size and format checks, labels If-Match
 * the version read; the metadata document likewise) and writes a signed manifest for it into the archive container.
 * Input: env BENCH_INPUT (JSON); output: one JSON line on stdout.
 */
import { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import {
  acsMetadataDocument,
  buildManifest,
  chunkLabels,
  readDocumentInPlace,
  sealContentInPlace,
  sealDocumentInPlace,
  writeManifest,
} from "../src/archive/index.js";
import { loadEvidenceSigner } from "../src/evidence/index.js";

const input = z
  .object({
    mode: z.enum(["read", "seal"]),
    connectionString: z.string(),
    customerContainer: z.string(),
    archiveContainer: z.string(),
    content: z.string(),
    metadata: z.string(),
    manifest: z.string(),
  })
  .parse(JSON.parse(process.env.BENCH_INPUT ?? "{}"));

const baselineRssBytes = process.memoryUsage().rss;
const service = BlobServiceClient.fromConnectionString(input.connectionString);
const customer = service.getContainerClient(input.customerContainer);
const started = performance.now();
let bytes = 0;
let sha256: string | undefined;
let contentSeconds: number | undefined;
if (input.mode === "read") {
  const download = await customer.getBlobClient(input.content).download(0);
  for await (const piece of download.readableStreamBody as AsyncIterable<Buffer>) bytes += piece.length;
} else {
  const labels = chunkLabels({
    teamId: "bench",
    serverCallId: "bench-call",
    recordingId: "bench-recording",
    chunkIndex: 0,
    documentId: "bench-doc",
    retainFrom: new Date().toISOString(),
    retentionDays: 30,
    legalHold: false,
  });
  const content = await sealContentInPlace(customer.getBlobClient(input.content), labels, "wav");
  contentSeconds = (performance.now() - started) / 1000;
  const metadataBlob = customer.getBlobClient(input.metadata);
  const read = await readDocumentInPlace(metadataBlob);
  const metadata = await sealDocumentInPlace(metadataBlob, read, labels);
  const manifest = buildManifest({
    serverCallId: "bench-call",
    correlationId: undefined,
    recordingId: "bench-recording",
    recordingStartTime: new Date().toISOString(),
    teamId: "bench",
    call: { participants: [] },
    policy: { legalHold: false },
    chunks: [
      {
        index: 0,
        documentId: "bench-doc",
        endReason: "SessionEnded",
        content: {
          blob: content.url,
          sizeBytes: content.sizeBytes,
          sha256: content.sha256,
          contentType: content.contentType,
        },
        metadata: {
          blob: metadata.url,
          sha256: metadata.sha256,
          document: acsMetadataDocument.parse(metadata.document),
        },
      },
    ],
    archivedAt: new Date().toISOString(),
  });
  const signer = loadEvidenceSigner({ NODE_ENV: "test" }, () => undefined);
  const { chunk: _chunk, ...recordingLabels } = labels.tags;
  await writeManifest(
    service.getContainerClient(input.archiveContainer),
    input.manifest,
    manifest,
    { metadata: recordingLabels, tags: recordingLabels },
    signer,
  );
  bytes = content.sizeBytes;
  sha256 = content.sha256;
}
const seconds = (performance.now() - started) / 1000;
// maxRSS is the process's peak resident set in KiB (getrusage).
console.log(
  JSON.stringify({
    bytes,
    seconds,
    contentSeconds,
    sha256,
    baselineRssBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  }),
);
