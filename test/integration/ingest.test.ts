// Resumable, verified ingest (src/archive/ingest.ts) against the simulator's storage and a private Azurite.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallAutomationClient } from "@azure/communication-call-automation";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { startSimulator, type ChunkView, type RunningSimulator } from "../../simulator/index.js";
import { createCallAutomationClient } from "../../src/acs/index.js";
import {
  IngestRefused,
  IngestVerificationFailed,
  ingestContent,
  ingestDocument,
  type IngestOptions,
} from "../../src/archive/ingest.js";
import { loadConfig } from "../../src/config/index.js";
import { ALICE, BOB, eventually } from "../support/stack.js";

const BLOCK = 64 * 1024;
let dataDir: string;
let azurite: RunningAzurite;
let sim: RunningSimulator;
let acs: CallAutomationClient;
let container: ContainerClient;

const options = (extra: Partial<IngestOptions> = {}): IngestOptions => ({
  blockBytes: BLOCK,
  concurrency: 3,
  metadata: { team: "trading-desk" },
  tags: { team: "trading-desk", chunk: "0" },
  ...extra,
});

/** A finished recording chunk of `recordingDurationMs` of audio (mixed 16 kHz mono WAV: 32 kB/s). */
async function recordedChunk(recordingDurationMs: number): Promise<ChunkView> {
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
  return eventually(() => sim.getCall(serverCallId)?.recordings[0]?.chunks[0], 10_000, "the chunk");
}

const openChunk = (chunk: ChunkView) => (offset: number) =>
  offset > 0
    ? acs.getCallRecording().downloadStreaming(chunk.contentLocation, { offset })
    : acs.getCallRecording().downloadStreaming(chunk.contentLocation);

const downloadsOf = (chunk: ChunkView) =>
  sim
    .requests()
    .filter((r) => r.operation === "download" && r.path.includes(chunk.documentId) && !r.path.endsWith("acsmetadata"));

async function sha256OfBlob(name: string): Promise<string> {
  return createHash("sha256")
    .update(await container.getBlockBlobClient(name).downloadToBuffer())
    .digest("hex");
}

async function exists(name: string): Promise<boolean> {
  return container.getBlockBlobClient(name).exists();
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "recorder-ingest-"));
  azurite = await startAzurite(dataDir);
  const accessKey = randomBytes(32).toString("base64");
  const resourceId = randomUUID();
  sim = await startSimulator({
    accessKey,
    resourceId,
    timings: { ringMs: 20, connectMs: 10, recordingActivationMs: 20, fileStatusDelayMs: 20 },
  });
  const config = loadConfig({
    NODE_ENV: "test",
    PUBLIC_BASE_URL: "http://127.0.0.1:1",
    ACS_CONNECTION_STRING: sim.connectionString,
    ACS_RESOURCE_ID: resourceId,
    ACS_LOCAL_SIMULATOR_URL: sim.url,
    REDIS_URL: "redis://127.0.0.1:1",
    BLOB_CONNECTION_STRING: azurite.connectionString,
    EVENTGRID_SECRET: "unused",
  });
  acs = createCallAutomationClient(config);
  container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("ingest");
  await container.createIfNotExists();
});
afterAll(async () => {
  await sim?.stop();
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("ingest of one chunk", () => {
  it("stages blocks, commits, verifies, labels; a second run finds it archived and downloads nothing", async () => {
    const chunk = await recordedChunk(5000);
    const name = `fresh/${chunk.documentId}.wav`;
    const result = await ingestContent(container, name, openChunk(chunk), options());
    expect(result).toMatchObject({
      sizeBytes: chunk.sizeBytes,
      sha256: chunk.sha256,
      contentType: "audio/wav",
      outcome: "fresh",
      blocks: Math.ceil(chunk.sizeBytes / BLOCK),
    });
    expect(await sha256OfBlob(name)).toBe(chunk.sha256);
    const blob = container.getBlockBlobClient(name);
    expect((await blob.getProperties()).metadata).toMatchObject({
      team: "trading-desk",
      sha256: chunk.sha256,
      sizebytes: String(chunk.sizeBytes),
    });
    expect((await blob.getTags()).tags).toEqual({ team: "trading-desk", chunk: "0", sha256: chunk.sha256 });

    const before = downloadsOf(chunk).length;
    const again = await ingestContent(container, name, openChunk(chunk), options());
    expect(again).toMatchObject({ outcome: "existing", sha256: chunk.sha256 });
    expect(downloadsOf(chunk)).toHaveLength(before);
  });

  it("never takes a blob holding another document as archived, and reads nothing for it", async () => {
    const [first, second] = await Promise.all([recordedChunk(1000), recordedChunk(1000)]);
    // Two recordings meeting under one name (what keying both by "the call's latest recording" did).
    const name = `collision/${first.documentId}.wav`;
    const labelled = (documentid: string) => options({ metadata: { team: "trading-desk", documentid } });
    await ingestContent(container, name, openChunk(first), labelled(first.documentId));
    const before = downloadsOf(second).length;
    await expect(ingestContent(container, name, openChunk(second), labelled(second.documentId))).rejects.toThrow(
      IngestVerificationFailed,
    );
    expect(downloadsOf(second)).toHaveLength(before);
    expect(await sha256OfBlob(name)).toBe(first.sha256);
    // The same document again is archived already, as before.
    expect(await ingestContent(container, name, openChunk(first), labelled(first.documentId))).toMatchObject({
      outcome: "existing",
      documentId: first.documentId,
    });
  });

  it("resumes a dropped download with Range from the last staged block; the blob is bit-identical", async () => {
    const chunk = await recordedChunk(8000);
    const name = `dropped/${chunk.documentId}.wav`;
    sim.addFault({ target: "download", kind: "drop-mid-body", afterBytes: 150_000, pathIncludes: chunk.documentId });
    await expect(ingestContent(container, name, openChunk(chunk), options())).rejects.toThrow();
    expect(await exists(name)).toBe(false);

    const result = await ingestContent(container, name, openChunk(chunk), options());
    expect(result).toMatchObject({ outcome: "resumed", contentType: "audio/wav" });
    expect((await container.getBlockBlobClient(name).getProperties()).contentType).toBe("audio/wav");
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(result.resumedFrom % BLOCK).toBe(0);
    expect(result.resumedFrom).toBeLessThanOrEqual(150_000);
    expect(result).toMatchObject({ sha256: chunk.sha256, sizeBytes: chunk.sizeBytes });
    expect(await sha256OfBlob(name)).toBe(chunk.sha256);
    const downloads = downloadsOf(chunk);
    expect(downloads.map((d) => [d.fault, d.range])).toEqual([
      ["drop-mid-body", undefined],
      [undefined, `bytes=${result.resumedFrom}-`],
    ]);
  });

  it.each([["empty-body"], ["html-body"]] as const)(
    "refuses a %s as a retryable failure and archives nothing; the retry archives the real chunk",
    async (kind) => {
      const chunk = await recordedChunk(1000);
      const name = `${kind}/${chunk.documentId}.wav`;
      sim.addFault({ target: "download", kind, pathIncludes: chunk.documentId });
      await expect(ingestContent(container, name, openChunk(chunk), options())).rejects.toBeInstanceOf(IngestRefused);
      expect(await exists(name)).toBe(false);
      const staged = await container
        .getBlockBlobClient(name)
        .getBlockList("uncommitted")
        .catch(() => ({ uncommittedBlocks: [] }));
      expect(staged.uncommittedBlocks ?? []).toEqual([]);

      const result = await ingestContent(container, name, openChunk(chunk), options());
      expect(result).toMatchObject({ outcome: "fresh", sha256: chunk.sha256 });
    },
  );

  it("archives the metadata document once, and refuses an HTML one", async () => {
    const chunk = await recordedChunk(1000);
    const name = `doc/${chunk.documentId}.json`;
    const open = () => acs.getCallRecording().downloadStreaming(chunk.metadataLocation);
    sim.addFault({ target: "download", kind: "html-body", pathIncludes: `${chunk.documentId}/content/acsmetadata` });
    await expect(ingestDocument(container, name, await open(), options())).rejects.toBeInstanceOf(IngestRefused);
    expect(await exists(name)).toBe(false);
    const first = await ingestDocument(container, name, await open(), options());
    expect(first).toMatchObject({ outcome: "fresh", contentType: "application/json" });
    expect(first.document).toMatchObject({ chunkDocumentId: chunk.documentId });
    const second = await ingestDocument(container, name, await open(), options());
    expect(second).toMatchObject({ outcome: "existing", sha256: first.sha256 });
  });
});
