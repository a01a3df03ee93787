// Waveform peaks as a job of their own (workers/jobs/ingest/chunk-peaks.ts), against the simulator, a private
// Azurite and the shared Redis under a prefix of this run: the ingest job queues them once per chunk and does not
// read the chunk back itself; the peaks job writes them, for a chunk in the archive or sealed in place; its failure
// leaves the archive as it was.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallAutomationClient } from "@azure/communication-call-automation";
import type { BlobClient, ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching, startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { startSimulator, type ChunkView, type RunningSimulator } from "../../simulator/index.js";
import { createCallAutomationClient } from "../../src/acs/index.js";
import { FakeRetention } from "../../src/archive/retention.js";
import { peaksBlobName, type ChunkPeaks } from "../../src/archive/index.js";
import { loadConfig } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { CHUNK_PEAKS_PRIORITY, chunkPeaks, QueueName, type PayloadOf } from "../../src/queues/index.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { createWorkerDependencies, type WorkerDependencies } from "../../workers/dependencies.js";
import { chunkPeaksJob } from "../../workers/jobs/ingest/chunk-peaks.js";
import { ingestChunkJob } from "../../workers/jobs/ingest/ingest-chunk.js";
import { runJob } from "../support/run-job.js";
import { ALICE, BOB, eventually } from "../support/stack.js";

let dataDir: string;
let azurite: RunningAzurite;
let sim: RunningSimulator;
let acs: CallAutomationClient;
let runtime: Runtime;
let prefix: string;
let deps: WorkerDependencies;
/** Blob names (or URLs) whose bytes were downloaded through `deps.container`, in order. */
const reads: string[] = [];
/** Names whose upload through `deps.container` fails (a storage outage for the peaks only). */
const failingUploads = new Set<string>();

/** The archive container as the jobs see it: every download noted, chosen uploads failing. */
function spied(container: ContainerClient): ContainerClient {
  const blobClient = (client: BlobClient, name: string): BlobClient =>
    new Proxy(client, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== "function") return value;
        const method = value as (...args: unknown[]) => unknown;
        if (property === "download" || property === "downloadToBuffer")
          return (...args: unknown[]) => {
            reads.push(name);
            return method.apply(target, args);
          };
        if (property === "upload" && failingUploads.has(name))
          return () => Promise.reject(Object.assign(new Error("service unavailable"), { statusCode: 503 }));
        return method.bind(target);
      },
    });
  return new Proxy(container, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === "getBlobClient" || property === "getBlockBlobClient")
        return (name: string) => blobClient(method.call(target, name) as BlobClient, name);
      return method.bind(target);
    },
  });
}

/** A finished one-chunk recording (mixed 16 kHz mono WAV) of `recordingDurationMs`. */
async function recordedChunk(recordingDurationMs: number) {
  const { serverCallId } = await sim.placeCall({ from: ALICE, to: BOB, durationMs: 60_000, recordingDurationMs });
  await eventually(() => (sim.getCall(serverCallId)?.state === "established" ? true : undefined), 5000, "the call");
  const recording = acs.getCallRecording();
  const { recordingId } = await recording.start({
    callLocator: { id: serverCallId, kind: "serverCallLocator" },
    recordingContent: "audio",
    recordingChannel: "mixed",
    recordingFormat: "wav",
  });
  await eventually(() => (sim.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined));
  await recording.stop(recordingId);
  const chunk: ChunkView = await eventually(
    () => sim.getCall(serverCallId)?.recordings[0]?.chunks[0],
    10_000,
    "the chunk",
  );
  const payload: PayloadOf<"ingest-chunk"> = {
    serverCallId,
    correlationId: randomUUID(),
    recordingId,
    recordingStartTime: new Date().toISOString(),
    chunk: {
      documentId: chunk.documentId,
      index: chunk.index,
      endReason: "SessionEnded",
      contentLocation: chunk.contentLocation,
      metadataLocation: chunk.metadataLocation,
      deleteLocation: chunk.deleteLocation,
    },
  };
  return { chunk, payload };
}

/** Every blob of the archive container with its ETag: what "the archive as it was" means here. */
async function archiveState(): Promise<Map<string, string>> {
  const state = new Map<string, string>();
  for await (const blob of runtime.container.listBlobsFlat()) state.set(blob.name, blob.properties.etag ?? "");
  return state;
}

async function peaksJobsQueued(): Promise<PayloadOf<"chunk-peaks">[]> {
  const queue = runtime.queues.all().find((q) => q.name === QueueName.ingest);
  if (!queue) throw new Error("no ingest queue");
  const jobs = await queue.getJobs(["waiting", "prioritized", "delayed", "active", "completed", "failed"]);
  return jobs.filter((job) => job.name === chunkPeaks.name).map((job) => job.data as PayloadOf<"chunk-peaks">);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "recorder-chunk-peaks-"));
  azurite = await startAzurite(dataDir);
  const accessKey = randomBytes(32).toString("base64");
  const resourceId = randomUUID();
  sim = await startSimulator({
    accessKey,
    resourceId,
    timings: { ringMs: 20, connectMs: 10, recordingActivationMs: 20, fileStatusDelayMs: 20 },
  });
  prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
  const config = loadConfig({
    NODE_ENV: "test",
    PUBLIC_BASE_URL: "http://127.0.0.1:1",
    ACS_CONNECTION_STRING: sim.connectionString,
    ACS_RESOURCE_ID: resourceId,
    ACS_LOCAL_SIMULATOR_URL: sim.url,
    REDIS_URL: inject("redisUrl"),
    REDIS_PREFIX: prefix,
    BLOB_CONNECTION_STRING: azurite.connectionString,
    BLOB_CONTAINER: "recordings",
    POLICY_DIR: "policies",
    EVENTGRID_SECRET: "unused",
    LOG_LEVEL: "silent",
  });
  acs = createCallAutomationClient(config);
  const logger = createLogger("silent", "test");
  runtime = await createRuntime(config, logger);
  await runtime.container.createIfNotExists();
  const created = createWorkerDependencies(config, runtime, logger);
  // Azurite has no immutability: blobs are protected through the faithful fake (src/archive/retention.ts).
  deps = { ...created, container: spied(runtime.container), retention: new FakeRetention() };
});
afterAll(async () => {
  if (runtime) {
    await deleteKeysMatching(runtime.redis, `${prefix}:*`);
    await runtime.close();
  }
  await sim?.stop();
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("waveform peaks, a job of their own", () => {
  let archivedChunk: string;
  let queued: PayloadOf<"chunk-peaks">;

  it("the ingest job queues the peaks job once per chunk, after every ingest band, and reads no chunk back", async () => {
    const { chunk, payload } = await recordedChunk(2000);
    reads.length = 0;
    const result = await runJob(ingestChunkJob, deps, payload);
    expect(result).toMatchObject({ storage: "archive", content: { outcome: "fresh", sha256: chunk.sha256 } });
    archivedChunk = result.content.name;
    // Hashed on the way in: neither verifying nor the waveform read the archived chunk back inside the ingest job.
    expect(reads.filter((name) => name === archivedChunk)).toEqual([]);
    expect(await runtime.container.getBlobClient(peaksBlobName(archivedChunk)).exists()).toBe(false);

    const jobs = await peaksJobsQueued();
    expect(jobs).toEqual([
      {
        blob: archivedChunk,
        recordingId: payload.recordingId,
        serverCallId: payload.serverCallId,
        correlationId: payload.correlationId,
      },
    ]);
    queued = jobs[0]!;
    const job = await runtime.queues.getJob(chunkPeaks, chunkPeaks.jobIdOf(queued)!);
    expect(job?.priority).toBe(CHUNK_PEAKS_PRIORITY);

    // A retried ingest job (it finds the chunk archived) queues no second peaks job.
    await runJob(ingestChunkJob, deps, payload, { attempt: 2 });
    expect(await peaksJobsQueued()).toHaveLength(1);
  });

  it("a failing peaks job leaves the archive as it was, and gives up with a log line", async () => {
    const before = await archiveState();
    failingUploads.add(peaksBlobName(archivedChunk));
    try {
      await expect(runJob(chunkPeaksJob, deps, queued)).rejects.toThrow(/service unavailable/);
    } finally {
      failingUploads.clear();
    }
    await expect(
      chunkPeaksJob.onExhausted?.(
        { container: deps.container, logger: deps.logger },
        queued,
        new Error("service unavailable"),
      ),
    ).resolves.toBeUndefined();
    expect(await archiveState()).toEqual(before);
    // It can reach nothing but the container: no ledger, manifest index or queue to change.
    expect(chunkPeaksJob.needs).toEqual(["container"]);
  });

  it("the peaks job reads the archived chunk and writes its peaks where the API looks for them", async () => {
    const before = await archiveState();
    reads.length = 0;
    expect(await runJob(chunkPeaksJob, deps, queued)).toEqual({ blob: peaksBlobName(archivedChunk) });
    expect(reads).toEqual([archivedChunk]);
    const peaks = JSON.parse(
      (await runtime.container.getBlobClient(peaksBlobName(archivedChunk)).downloadToBuffer()).toString("utf8"),
    ) as ChunkPeaks;
    expect(peaks).toMatchObject({ version: 1, channels: 1, peaksPerSecond: 50 });
    expect(peaks.durationMs).toBeGreaterThan(0);
    expect(peaks.peaks[0]).toHaveLength(Math.round((peaks.durationMs * 50) / 1000));
    expect(Math.max(...peaks.peaks[0]!)).toBeGreaterThan(0.1); // the simulator's tones, not silence
    // Only the peaks blob is new; every archived blob is as it was.
    const after = await archiveState();
    expect([...after.keys()].filter((name) => !before.has(name))).toEqual([peaksBlobName(archivedChunk)]);
    for (const [name, etag] of before) expect(after.get(name)).toBe(etag);
  });

  it("a chunk sealed in the customer's container gets its peaks in the archive, the customer's container untouched", async () => {
    const customerContainer = runtime.blobService.getContainerClient("customer-vault");
    await customerContainer.createIfNotExists();
    const bytes = await runtime.container.getBlobClient(archivedChunk).downloadToBuffer();
    const name = "20261204/call-id/0-audiomixedwav.doc-1.wav";
    await customerContainer.getBlockBlobClient(name).upload(bytes, bytes.length);
    const url = customerContainer.getBlobClient(name).url;

    const written = await runJob(chunkPeaksJob, deps, { ...queued, blob: url });
    expect(written).toEqual({ blob: peaksBlobName(url) });
    expect(peaksBlobName(url)).toMatch(
      /^_in-place-peaks\/127\.0\.0\.1:\d+\/devstoreaccount1\/customer-vault\/20261204\//,
    );
    const inPlace = await runtime.container.getBlobClient(peaksBlobName(url)).downloadToBuffer();
    const fromArchive = await runtime.container.getBlobClient(peaksBlobName(archivedChunk)).downloadToBuffer();
    expect(inPlace.equals(fromArchive)).toBe(true); // the same bytes give the same peaks
    const customerBlobs: string[] = [];
    for await (const blob of customerContainer.listBlobsFlat()) customerBlobs.push(blob.name);
    expect(customerBlobs).toEqual([name]);
  });
});
