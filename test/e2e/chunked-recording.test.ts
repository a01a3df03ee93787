// A recording over the simulator's chunk size limit arrives as several chunks (all but the last ending with
// ChunkMaximumSizeExceeded, as ACS names it) and is archived as that many verified chunks under one manifest.
import { afterAll, beforeAll, expect, it } from "vitest";
import { safeSegment } from "../../src/archive/naming.js";
import { FakeRetention } from "../../src/archive/retention.js";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ retention: new FakeRetention() });
});
afterAll(async () => {
  await stack?.stop();
});

/** 16 kHz × 16 bit, one channel per party (the trading desk records unmixed): 64,000 bytes a second for two. */
const BYTES_PER_SECOND = 64_000;

it("a recording larger than the chunk limit is archived as N verified chunks with one manifest", async () => {
  const { serverCallId } = await stack.simulator.placeCall({
    from: ALICE,
    to: BOB,
    durationMs: 2500,
    recordingDurationMs: 3500,
    chunkMaxBytes: 44 + BYTES_PER_SECOND,
  });
  const recording = await eventually(
    () => stack.simulator.getCall(serverCallId)?.recordings.find((r) => r.chunks.length > 0),
    20_000,
    "the recording's chunks",
  );
  expect(recording.chunks.map((c) => c.sizeBytes)).toEqual([
    44 + BYTES_PER_SECOND,
    44 + BYTES_PER_SECOND,
    44 + BYTES_PER_SECOND,
    44 + BYTES_PER_SECOND / 2,
  ]);

  // Every chunk archived and verified: a blob of the call whose recorded SHA-256 is the chunk's.
  const verified = async () => {
    const hashes = new Map<string, string>();
    for await (const blob of stack.runtime.container.listBlobsFlat({ includeMetadata: true })) {
      if (blob.name.includes(`/${safeSegment(serverCallId)}/`) && blob.metadata?.sha256)
        hashes.set(blob.name, blob.metadata.sha256);
    }
    return hashes;
  };
  const blobs = await eventually(
    async () => {
      const found = await verified();
      const archived = recording.chunks.filter((c) => [...found.values()].includes(c.sha256));
      return archived.length === recording.chunks.length && [...found.keys()].some((n) => n.endsWith("manifest.json"))
        ? found
        : undefined;
    },
    30_000,
    "every chunk and the manifest",
  );
  const manifests = [...blobs.keys()].filter((name) => name.endsWith("manifest.json"));
  expect(manifests).toHaveLength(1);
  const manifest = JSON.parse(
    (await stack.runtime.container.getBlockBlobClient(manifests[0]!).downloadToBuffer()).toString("utf8"),
  ) as { recordingId: string; chunks: { index: number; sha256: string; sizeBytes: number }[] };
  expect(manifest.recordingId).toBe(recording.recordingId);
  expect(manifest.chunks.map((c) => [c.index, c.sha256, c.sizeBytes])).toEqual(
    recording.chunks.map((c) => [c.index, c.sha256, c.sizeBytes]),
  );
});
