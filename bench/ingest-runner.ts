/**
 * One measured copy of a recording chunk into Blob, in its own process so its peak RSS is the worker's:
 * `raw` = the SDK's `uploadStream` of the download (4 MiB × 4), `ingest` = the archive's resumable, verified
 * ingest (src/archive/ingest.ts) with the worker's default block size and concurrency.
 * Input: env BENCH_INPUT (JSON); output: one JSON line on stdout (also the RSS before the copy and the CPU
 * seconds the copy took in this process, which a loaded machine does not change much).
 */
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { BlobServiceClient } from "@azure/storage-blob";
import { z } from "zod";
import { createCallAutomationClient } from "../src/acs/index.js";
import { ingestContent } from "../src/archive/ingest.js";
import { loadConfig } from "../src/config/index.js";

const input = z
  .object({
    mode: z.enum(["raw", "ingest"]),
    blobName: z.string(),
    contentLocation: z.string(),
    env: z.record(z.string(), z.string()),
  })
  .parse(JSON.parse(process.env.BENCH_INPUT ?? "{}"));

const config = loadConfig(input.env);
const recording = createCallAutomationClient(config).getCallRecording();
const container = BlobServiceClient.fromConnectionString(config.BLOB_CONNECTION_STRING).getContainerClient(
  config.BLOB_CONTAINER,
);

// What the process holds before the copy (Node, tsx, SDKs, config): the same for both modes.
const baselineRssBytes = process.memoryUsage().rss;
const cpuBefore = process.cpuUsage();
const started = performance.now();
let bytes = 0;
let sha256 = "";
if (input.mode === "raw") {
  // Plain uploadStream of the download: no hashing, no verification (the baseline); only the bytes are counted.
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  const source = (await recording.downloadStreaming(input.contentLocation)) as NodeJS.ReadableStream;
  const upload = container.getBlockBlobClient(input.blobName).uploadStream(meter, 4 * 1024 * 1024, 4);
  await Promise.all([pipeline(source, meter), upload]);
} else {
  const result = await ingestContent(
    container,
    input.blobName,
    async (offset) =>
      offset > 0
        ? recording.downloadStreaming(input.contentLocation, { offset })
        : recording.downloadStreaming(input.contentLocation),
    {
      blockBytes: config.INGEST_BLOCK_BYTES,
      concurrency: config.INGEST_BLOCK_CONCURRENCY,
      metadata: { bench: "true" },
      tags: { bench: "true" },
    },
  );
  bytes = result.sizeBytes;
  sha256 = result.sha256;
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// maxRSS is the process's peak resident set in KiB (getrusage).
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ mode: input.mode, bytes, seconds, sha256, peakRssBytes, baselineRssBytes, cpuSeconds }));
