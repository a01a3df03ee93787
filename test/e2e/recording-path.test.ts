import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeSegment } from "../../src/archive/naming.js";
import { createLedger } from "../../src/ledger/index.js";
import { redisTargets } from "../support/redis-targets.js";
import { ALICE, BOB, eventually, placeRecordedCall, startStack, type Stack } from "../support/stack.js";

let stack: Stack;

async function blobsOfCall(serverCallId: string) {
  const names: string[] = [];
  for await (const blob of stack.runtime.container.listBlobsFlat({ includeMetadata: true })) {
    if (blob.name.includes(`/${safeSegment(serverCallId)}/`)) names.push(blob.name);
  }
  return names.sort();
}

async function sha256Of(blobName: string): Promise<string> {
  const buffer = await stack.runtime.container.getBlockBlobClient(blobName).downloadToBuffer();
  return createHash("sha256").update(buffer).digest("hex");
}

// The same path on one Redis server and on a 3-master Redis Cluster.
describe.each(redisTargets)("the recording path, end to end, on %s", (_label, target) => {
  beforeAll(async () => {
    stack = await startStack({ redis: target });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("archives the chunk and metadata of a call between two team members, with the served bytes' SHA-256", async () => {
    const { serverCallId } = await placeRecordedCall(stack.simulator, { from: ALICE, to: BOB, recordedMs: 1000 });

    const connects = () =>
      stack.simulator.requests().filter((r) => r.operation === "connect" && r.serverCallId === serverCallId);
    await eventually(() => (connects().length > 0 ? true : undefined), 10_000, "a connect request");

    const chunk = await eventually(
      () => stack.simulator.getCall(serverCallId)?.recordings[0]?.chunks[0],
      15_000,
      "the simulator to produce a recording chunk",
    );
    const blobs = await eventually(
      async () => {
        const names = await blobsOfCall(serverCallId);
        return names.length >= 2 ? names : undefined;
      },
      20_000,
      "content and metadata blobs",
    );

    const content = blobs.find((name) => name.endsWith(".wav"));
    const metadata = blobs.find((name) => name.endsWith(".acsmetadata.json"));
    expect(content).toMatch(/^trading-desk\/\d{4}\/\d{2}\/\d{2}\/.+\/chunk-0000\.wav$/);
    expect(metadata).toBeDefined();

    const properties = await stack.runtime.container.getBlockBlobClient(content!).getProperties();
    expect(properties.metadata?.sha256).toBe(chunk.sha256);
    expect(Number(properties.metadata?.sizebytes)).toBe(chunk.sizeBytes);
    expect(properties.contentLength).toBe(chunk.sizeBytes);
    expect(await sha256Of(content!)).toBe(chunk.sha256);

    const document = JSON.parse(
      (await stack.runtime.container.getBlockBlobClient(metadata!).downloadToBuffer()).toString("utf8"),
    ) as { chunkDocumentId: string; participants: { participantId: string; channel?: number }[] };
    expect(document.chunkDocumentId).toBe(chunk.documentId);
    expect(document.participants.length).toBe(2);

    // The trading desk's policy announces recording: played once, to everyone, and on record.
    const session = await stack.runtime.sessions.get(serverCallId);
    expect(session.announcement).toMatchObject({ status: "played" });
    const plays = stack.simulator.requests().filter((r) => r.operation === "play" && r.serverCallId === serverCallId);
    expect(plays.map((r) => r.status)).toEqual([202]);

    // Exactly one connect and one start recording for the call.
    expect(connects().map((r) => r.status)).toEqual([200]);
    const starts = stack.simulator.requests().filter((r) => r.operation === "startRecording" && r.status < 300);
    expect(starts.filter((r) => r.serverCallId === serverCallId)).toHaveLength(1);
    expect(stack.simulator.requests().every((r) => r.signatureValid)).toBe(true);

    // Once the call is over and its recording archived, the ledger says recorded, with the manifest.
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    const entry = await eventually(
      async () => {
        const found = await ledger.get(serverCallId);
        return found?.outcome === "recorded" ? found : undefined;
      },
      20_000,
      "the ledger to say recorded",
    );
    expect(entry.manifest).toMatch(/\/manifest\.json$/);
  });

  it("puts team members on the first unmixed channels, whoever called", async () => {
    // The outside caller joins first, so without the policy's ordering ACS would give them channel 0.
    const outsider = "4:+14255550123";
    const { serverCallId } = await stack.simulator.placeCall({ from: outsider, to: ALICE, durationMs: 3_000 });
    const metadata = await eventually(
      async () => (await blobsOfCall(serverCallId)).find((name) => name.endsWith(".acsmetadata.json")),
      20_000,
      "the archived metadata document",
    );
    const document = JSON.parse(
      (await stack.runtime.container.getBlockBlobClient(metadata).downloadToBuffer()).toString("utf8"),
    ) as { participants: { participantId: string; channel?: number }[] };
    const channelOf = (rawId: string) => document.participants.find((p) => p.participantId === rawId)?.channel;
    expect(channelOf(ALICE)).toBe(0);
    expect(channelOf(outsider)).toBe(1);
  });

  it("never connects to a call between two identities in no team", async () => {
    const stranger1 = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000099-stranger";
    const stranger2 = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000098-other";
    const { serverCallId } = await stack.simulator.placeCall({ from: stranger1, to: stranger2, durationMs: 600 });

    // Wait until the app has processed the end of the call, so "no connect" is not just "not yet".
    await eventually(
      async () => ((await stack.runtime.sessions.get(serverCallId)).ended ? true : undefined),
      15_000,
      "the app to see CallEnded",
    );
    const session = await stack.runtime.sessions.get(serverCallId);
    expect(session.decision).toMatchObject({ record: false, reason: "no-team-member" });
    expect(session.participants).toEqual([stranger2, stranger1].sort());
    expect(
      stack.simulator.requests().filter((r) => r.operation === "connect" && r.serverCallId === serverCallId),
    ).toEqual([]);
  });

  it("works the same when Event Grid delivers CloudEvents 1.0 (after the OPTIONS handshake)", async () => {
    await stack.simulator.setEventGridSubscription(stack.eventGridUrl, { schema: "CloudEventSchemaV1_0" });
    try {
      const { serverCallId } = await placeRecordedCall(stack.simulator, { from: BOB, to: ALICE });
      const chunk = await eventually(
        () => stack.simulator.getCall(serverCallId)?.recordings[0]?.chunks[0],
        15_000,
        "a recording chunk",
      );
      const content = await eventually(
        async () => (await blobsOfCall(serverCallId)).find((name) => name.endsWith(".wav")),
        20_000,
        "the archived chunk",
      );
      expect(await sha256Of(content)).toBe(chunk.sha256);
      const session = await stack.runtime.sessions.get(serverCallId);
      expect(session).toMatchObject({ started: true, caller: BOB, callee: ALICE, decision: { record: true } });
    } finally {
      await stack.simulator.setEventGridSubscription(stack.eventGridUrl);
    }
  });
});
