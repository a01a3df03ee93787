/**
 * The ingest benchmark's baseline, in its own process: the SDK's `uploadStream` (4 MiB × 4) of the recording's
 * download into Blob — no hashing, no verification, only the bytes counted.
 * Input: env BENCH_INPUT (JSON); output: one JSON line on stdout (also the RSS before the copy and the CPU
 * seconds the copy took in this process).
 */
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { createCallAutomationClient } from "../src/acs/index.js";
import { blobAccess, createBlobService } from "../src/azure/index.js";
import { loadConfig } from "../src/config/index.js";

const input = z
  .object({ blobName: z.string(), contentLocation: z.string(), env: z.record(z.string(), z.string()) })
  .parse(JSON.parse(process.env.BENCH_INPUT ?? "{}"));

const config = loadConfig(input.env);
const recording = createCallAutomationClient(config).getCallRecording();
const container = createBlobService(blobAccess(config)).getContainerClient(config.BLOB_CONTAINER);

const baselineRssBytes = process.memoryUsage().rss;
const cpuBefore = process.cpuUsage();
const started = performance.now();
let bytes = 0;
const meter = new Transform({
  transform(chunk: Buffer, _encoding, callback) {
    bytes += chunk.length;
    callback(null, chunk);
  },
});
const source = (await recording.downloadStreaming(input.contentLocation)) as NodeJS.ReadableStream;
const upload = container.getBlockBlobClient(input.blobName).uploadStream(meter, 4 * 1024 * 1024, 4);
await Promise.all([pipeline(source, meter), upload]);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// maxRSS is the process's peak resident set in KiB (getrusage).
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
console.log(
  JSON.stringify({ bytes, seconds, peakRssBytes, baselineRssBytes, cpuSeconds: (cpu.user + cpu.system) / 1e6 }),
);
