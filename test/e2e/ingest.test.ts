// Ingest end to end: every chunk of a multi-chunk recording, replays, and Blob storage going away mid-chunk (the
// retry resumes with Range).
import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChunkView } from "../../simulator/index.js";
import { safeSegment } from "../../src/archive/naming.js";
import { FakeRetention } from "../../src/archive/retention.js";
import { manifestSignatureReport } from "../../src/archive/manifest-signature.js";
import { loadEvidenceSigner, verifierOf } from "../../src/evidence/keys.js";
import { createLedger } from "../../src/ledger/index.js";
import { ingestChunk, jobIdFor } from "../../src/queues/index.js";
import { drained, failedAttempt, finishedJob } from "../support/jobs.js";
import { redisTargets, type RedisTargetName } from "../support/redis-targets.js";
import { ALICE, BOB, eventually, startStack, type Stack, stagedChunkBlob } from "../support/stack.js";

const BLOCK = 1024 * 1024;
let stack: Stack;
// Azurite has no immutability: the workers protect blobs through the faithful fake (src/archive/retention.ts).
const retention = new FakeRetention();
const startIngestStack = (redis: RedisTargetName) => async () => {
  stack = await startStack({
    env: { INGEST_BLOCK_BYTES: String(BLOCK), ACS_DELETE_AFTER_ARCHIVE: "true" },
    retention,
    redis,
  });
};

/** Archived (verified: `sha256` metadata set) blobs of a call, by name. */
async function archived(serverCallId: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const blob of stack.runtime.container.listBlobsFlat({ includeMetadata: true })) {
    const sha256 = blob.metadata?.sha256;
    if (blob.name.includes(`/${safeSegment(serverCallId)}/`) && !blob.name.endsWith("/manifest.json") && sha256)
      found.set(blob.name, sha256);
  }
  return found;
}

const contentDownloads = (serverCallId: string) =>
  stack.simulator
    .requests()
    .filter((r) => r.operation === "download" && r.serverCallId === serverCallId && !r.path.endsWith("/acsmetadata"));

async function recordedCall(recordingDurationMs: number, chunkMaxDurationMs?: number) {
  const { serverCallId, correlationId } = await stack.simulator.placeCall({
    from: ALICE,
    to: BOB,
    // Long enough for a loaded machine to join and start recording before the call ends.
    durationMs: 2500,
    recordingDurationMs,
    ...(chunkMaxDurationMs ? { chunkMaxDurationMs } : {}),
    // The form the replay below repeats (Microsoft's current one).
    recordingEventForm: "server-call-id+recording-id",
  });
  const recording = await eventually(
    () => stack.simulator.getCall(serverCallId)?.recordings.find((r) => r.chunks.length > 0),
    20_000,
    "the recording's chunks",
  );
  return { serverCallId, correlationId, recording };
}

// Archive, manifest, ledger and replays: the same on one Redis server and on a 3-master Redis Cluster.
describe.each(redisTargets)("ingest, end to end, on %s", (_label, target) => {
  beforeAll(startIngestStack(target));
  afterAll(async () => {
    await stack?.stop();
  });

  it("archives every chunk of a multi-chunk recording once, even when the event is delivered again", async () => {
    const { serverCallId, correlationId, recording } = await recordedCall(9_000, 3_000);
    expect(recording.chunks.length).toBe(3);
    const blobs = await eventually(
      async () => {
        const found = await archived(serverCallId);
        return found.size === 6 ? found : undefined;
      },
      30_000,
      "3 chunks and 3 metadata documents",
    );
    for (const chunk of recording.chunks) {
      const name = [...blobs.keys()].find((n) => n.endsWith(`chunk-${String(chunk.index).padStart(4, "0")}.wav`));
      expect(name && blobs.get(name)).toBe(chunk.sha256);
    }
    expect(contentDownloads(serverCallId)).toHaveLength(3);

    // The manifest, written when the last chunk was in: every chunk with its size and hash, the policy, the channels.
    const folder = [...blobs.keys()][0]!.replace(/\/chunk-[^/]+$/, "");
    const manifestBlob = stack.runtime.container.getBlockBlobClient(`${folder}/manifest.json`);
    const manifestBytes = await eventually(
      () => manifestBlob.downloadToBuffer().catch(() => undefined),
      10_000,
      "the manifest",
    );
    const manifest = JSON.parse(manifestBytes.toString("utf8")) as {
      recordingId: string;
      team: string;
      policy: { ruleId: string | null; policyHash: string | null };
      channelMap: { participantId: string; channel: number | null }[];
      chunks: { index: number; sha256: string; sizeBytes: number }[];
      totalBytes: number;
    };
    expect(manifest).toMatchObject({ recordingId: recording.recordingId, team: "trading-desk" });
    // Signed by the worker with the evidence key (the stack's development key: docs/evidence.md).
    const signer = loadEvidenceSigner({ NODE_ENV: "test" }, () => undefined);
    expect(manifestSignatureReport(manifest, verifierOf(signer))).toMatchObject({
      status: "intact",
      keyId: signer.keyId,
    });
    expect(manifest.policy.ruleId).toEqual(expect.any(String));
    expect(manifest.policy.policyHash).toEqual(expect.any(String));
    expect(manifest.chunks).toEqual(
      recording.chunks.map((c) =>
        expect.objectContaining({ index: c.index, sha256: c.sha256, sizeBytes: c.sizeBytes }),
      ),
    );
    expect(manifest.totalBytes).toBe(recording.chunks.reduce((sum, c) => sum + c.sizeBytes, 0));
    expect(manifest.channelMap.map((p) => p.participantId).sort()).toEqual([ALICE, BOB].sort());
    expect((await manifestBlob.getProperties()).metadata?.sha256).toBe(
      createHash("sha256").update(manifestBytes).digest("hex"),
    );

    // Retention from the trading desk's policy (2555 days) on every chunk, document and the manifest:
    // neither deletable nor replaceable; and ACS's copies deleted, since the archive is verified.
    for (const name of [...blobs.keys(), `${folder}/manifest.json`]) {
      const protection = retention.protection(name);
      expect(protection?.legalHold).toBe(false);
      expect(protection?.until?.getTime()).toBeGreaterThan(Date.now() + 2500 * 86_400_000);
    }
    const first = [...blobs.keys()][0]!;
    await expect(retention.delete(stack.runtime.container, first)).rejects.toMatchObject({
      statusCode: 409,
      code: "BlobImmutableDueToPolicy",
    });
    await expect(retention.overwrite(stack.runtime.container, first, Buffer.from("x"))).rejects.toMatchObject({
      statusCode: 409,
    });
    expect(await archived(serverCallId)).toEqual(blobs);
    await eventually(
      () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.chunks.every((c) => c.deleted) ? true : undefined),
      10_000,
      "ACS copies deleted",
    );

    // The ledger says: recorded, with the manifest.
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    await eventually(
      async () => ((await ledger.get(serverCallId))?.outcome === "recorded" ? true : undefined),
      10_000,
      "the ledger entry",
    );
    expect(await ledger.get(serverCallId)).toMatchObject({
      outcome: "recorded",
      manifest: `${folder}/manifest.json`,
      recordingId: recording.recordingId,
      teamId: "trading-desk",
    });

    // The same RecordingFileStatusUpdated again, under a new event id (a replay that dedupe by id cannot catch).
    const event = {
      id: randomUUID(),
      topic: "/subscriptions/x/resourcegroups/x/providers/microsoft.communication/communicationservices/x",
      subject: `/recording/call/${correlationId}/serverCallId/${serverCallId}/recordingId/${recording.recordingId}`,
      eventType: "Microsoft.Communication.RecordingFileStatusUpdated",
      eventTime: new Date().toISOString(),
      dataVersion: "1.0",
      metadataVersion: "1",
      data: {
        recordingStorageInfo: {
          recordingChunks: recording.chunks.map((c: ChunkView) => ({
            documentId: c.documentId,
            index: c.index,
            endReason: "SessionEnded",
            contentLocation: c.contentLocation,
            metadataLocation: c.metadataLocation,
            deleteLocation: c.deleteLocation,
          })),
        },
        recordingStartTime: new Date().toISOString(),
        recordingDurationMs: 9000,
        recordingContentType: "Audio",
        recordingChannelType: "Mixed",
        recordingFormatType: "Wav",
        sessionEndReason: "CallEnded",
      },
    };
    const posted = await fetch(stack.eventGridUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "aeg-event-type": "Notification" },
      body: JSON.stringify([event]),
    });
    expect(posted.status).toBeLessThan(300);
    // Once the replay was handled, and whatever it queued: nothing downloaded again, nothing new written.
    expect((await finishedJob(stack, "call-event", jobIdFor("eventgrid", event.id))).failedReason).toBeUndefined();
    await drained(stack);
    expect(contentDownloads(serverCallId)).toHaveLength(3);
    expect(await archived(serverCallId)).toEqual(blobs);
  });

  it("fails a chunk whose ACS copy has expired at once, without retries or downloads (dead-lettered)", async () => {
    const { serverCallId, recording } = await recordedCall(1000);
    const chunk = recording.chunks[0]!;
    await eventually(async () => ((await archived(serverCallId)).size === 2 ? true : undefined), 20_000, "the archive");
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    await eventually(
      async () => ((await ledger.get(serverCallId))?.outcome === "recorded" ? true : undefined),
      10_000,
      "the ledger to say recorded",
    );
    const downloadsBefore = contentDownloads(serverCallId).length;
    // The same chunk queued again as if its event were 25 h old (a new job id: a late replay).
    await stack.runtime.queues.enqueue(ingestChunk, {
      serverCallId,
      correlationId: undefined,
      recordingId: `${recording.recordingId}-late`,
      recordingStartTime: new Date().toISOString(),
      chunk: { ...chunk, endReason: "SessionEnded" },
      acsExpiresAt: new Date(Date.now() - 3_600_000).toISOString(),
    });
    const ingestQueue = stack.runtime.queues.all().find((q) => q.name === "ingest")!;
    const failed = await eventually(
      async () => {
        const job = await ingestQueue.getJob(jobIdFor("ingest", `${recording.recordingId}-late`, String(chunk.index)));
        // Failed with its reason stored (state and reason are read in one fetch of the job).
        return job?.failedReason && (await job.isFailed()) ? job : undefined;
      },
      10_000,
      "the late job to fail",
    );
    // Failed on its first attempt, without retries, and without asking ACS.
    expect(failed.attemptsMade).toBeLessThanOrEqual(1);
    expect(failed.failedReason).toMatch(/lost: ACS copy expired/);
    // The call's recording is in: a failed late replay does not downgrade the ledger's `recorded`.
    expect((await ledger.get(serverCallId))?.outcome).toBe("recorded");
    expect(contentDownloads(serverCallId)).toHaveLength(downloadsBefore);
  });
});

describe("ingest, end to end, when storage goes away", () => {
  beforeAll(startIngestStack("single"));
  afterAll(async () => {
    await stack?.stop();
  });

  it("resumes the ingest with Range when Blob storage goes away mid-chunk, fails the attempt, and comes back", async () => {
    // 64 MB of audio in 1 MiB blocks: storage goes away once a few blocks are staged.
    const { serverCallId, recording } = await recordedCall(1_000_000);
    const chunk = recording.chunks[0]!;
    // Stop storage once a few blocks are staged (not committed).
    const staged = await stagedChunkBlob(stack.runtime.container, serverCallId, 3, "blocks staged");
    await stack.stopAzurite();
    // Away until the attempt it cut short has failed, after the storage SDK's own retries (~16 s with its default
    // policy): the job's retry then resumes from what was staged.
    await failedAttempt(stack, "ingest-chunk", jobIdFor("ingest", recording.recordingId, String(chunk.index)), 60_000);
    await stack.startAzurite();
    const blobs = await eventually(
      async () => {
        const found = await archived(serverCallId);
        return found.size === 2 ? found : undefined;
      },
      60_000,
      "the chunk and its metadata document after the outage",
    );
    expect(blobs.get(staged)).toBe(chunk.sha256);
    // The outage interrupted the job; the retry after the restart found the staged blocks (Azurite saves its
    // block lists when stopped gracefully) and continued with Range from a block boundary past them.
    const downloads = contentDownloads(serverCallId);
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    expect(downloads[0]?.range).toBeUndefined();
    for (const retry of downloads.slice(1)) {
      const offset = Number(/^bytes=(\d+)-$/.exec(retry.range ?? "")?.[1]);
      expect(offset).toBeGreaterThanOrEqual(3 * BLOCK);
      expect(offset % BLOCK).toBe(0);
    }
  }, 170_000);
});
