// Chunking by a configurable size or duration limit: a longer or larger recording arrives as several chunks,
// all but the last ending with ChunkMaximumSizeExceeded, each its own document (content, metadata, delete).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReceiver, type Receiver } from "./test-support/receiver.js";
import { CALLEE, CALLER, sdkClient, startTestSimulator, waitFor } from "./test-support/fixtures.js";
import type { ChunkView, PlaceCallRequest, RunningSimulator } from "./types.js";
import { HEADER_BYTES } from "./wav.js";

/** One mixed audio channel: 16 kHz × 16 bit. */
const BYTES_PER_SECOND = 32_000;

let s: RunningSimulator;
let rx: Receiver;
beforeAll(async () => {
  rx = await startReceiver();
  s = await startTestSimulator({ chunkMaxBytes: HEADER_BYTES + 2 * BYTES_PER_SECOND, eventGridUrl: `${rx.url}/eg` });
});
afterAll(async () => {
  await s?.stop();
  await rx?.close();
});

interface FileStatusData {
  recordingStorageInfo: { recordingChunks: { documentId: string; endReason: string }[] };
}

/**
 * endReason of each chunk, as the recording's RecordingFileStatusUpdated names them. Found by the chunks' own
 * documentIds: not every documented subject form names the serverCallId.
 */
async function endReasons(chunks: ChunkView[]): Promise<string[]> {
  const find = () =>
    rx
      .notifications()
      .flatMap((r) => r.json as { eventType: string; data: FileStatusData }[])
      .find(
        (e) =>
          e.eventType.endsWith("RecordingFileStatusUpdated") &&
          e.data.recordingStorageInfo.recordingChunks[0]?.documentId === chunks[0]?.documentId,
      );
  await rx.waitFor(() => find() !== undefined);
  return find()!.data.recordingStorageInfo.recordingChunks.map((c) => c.endReason);
}

async function recordedChunks(call: Partial<PlaceCallRequest>): Promise<{ serverCallId: string; chunks: ChunkView[] }> {
  const { serverCallId } = await s.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000, ...call });
  await waitFor(() => s.getCall(serverCallId)?.state === "established");
  const recording = sdkClient(s).getCallRecording();
  const { recordingId } = await recording.start({
    callLocator: { kind: "serverCallLocator", id: serverCallId },
    recordingContent: "audio",
    recordingChannel: "mixed",
    recordingFormat: "wav",
  });
  await waitFor(() => s.getCall(serverCallId)?.recordings[0]?.state === "active");
  await recording.stop(recordingId);
  const chunks = await waitFor(() => {
    const found = s.getCall(serverCallId)?.recordings[0]?.chunks;
    return found && found.length > 0 ? found : undefined;
  });
  return { serverCallId, chunks };
}

async function metadataOf(chunk: ChunkView): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const p of await sdkClient(s).getCallRecording().downloadStreaming(chunk.metadataLocation)) {
    parts.push(Buffer.from(p as Buffer));
  }
  return JSON.parse(Buffer.concat(parts).toString("utf8")) as Record<string, unknown>;
}

describe("chunk limits", () => {
  it("a call's own byte limit: chunks of at most that size, each its own document with its own metadata", async () => {
    const { chunks } = await recordedChunks({
      recordingDurationMs: 2500,
      chunkMaxBytes: HEADER_BYTES + BYTES_PER_SECOND,
    });
    expect(await endReasons(chunks)).toEqual(["ChunkMaximumSizeExceeded", "ChunkMaximumSizeExceeded", "SessionEnded"]);
    expect(chunks.map((c) => [c.index, c.sizeBytes])).toEqual([
      [0, HEADER_BYTES + BYTES_PER_SECOND],
      [1, HEADER_BYTES + BYTES_PER_SECOND],
      [2, HEADER_BYTES + BYTES_PER_SECOND / 2],
    ]);
    expect(new Set(chunks.map((c) => c.documentId)).size).toBe(3);
    expect(new Set(chunks.map((c) => c.deleteLocation)).size).toBe(3);
    const metadata = await Promise.all(chunks.map((c) => metadataOf(c)));
    expect(metadata.map((m) => [m.chunkDocumentId, m.chunkIndex, m.chunkDuration])).toEqual([
      [chunks[0]!.documentId, 0, 1000],
      [chunks[1]!.documentId, 1, 1000],
      [chunks[2]!.documentId, 2, 500],
    ]);
    // Each chunk starts where the one before ended.
    const starts = metadata.map((m) => Date.parse(String(m.chunkStartTime)));
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 1000, 2000]);
    // Deleting one chunk leaves the others.
    await sdkClient(s).getCallRecording().delete(chunks[0]!.deleteLocation);
    expect((await metadataOf(chunks[1]!)).chunkIndex).toBe(1);
  });

  it("the simulator's limit applies to a call that sets none", async () => {
    const { chunks } = await recordedChunks({ recordingDurationMs: 5000 });
    expect(chunks.map((c) => c.sizeBytes)).toEqual([
      HEADER_BYTES + 2 * BYTES_PER_SECOND,
      HEADER_BYTES + 2 * BYTES_PER_SECOND,
      HEADER_BYTES + BYTES_PER_SECOND,
    ]);
    expect(await endReasons(chunks)).toEqual(["ChunkMaximumSizeExceeded", "ChunkMaximumSizeExceeded", "SessionEnded"]);
  });

  it("the duration limit still applies next to a byte limit: the smaller one wins", async () => {
    const { chunks } = await recordedChunks({ recordingDurationMs: 2000, chunkMaxDurationMs: 500 });
    expect(chunks.map((c) => c.sizeBytes)).toEqual(Array.from({ length: 4 }, () => HEADER_BYTES + 500 * 32));
  });
});
