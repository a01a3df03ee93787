// A regulated member joining a call in progress (issue 5): the call was not to be recorded for its first
// members; when a trading-desk member joins (CallParticipantAdded through Event Grid), the workers join the
// call, start recording, and the recording is archived.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeSegment } from "../../src/archive/naming.js";
import { createLedger } from "../../src/ledger/index.js";
import { drained } from "../support/jobs.js";
import { ALICE, eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
/** Identities in no team's policy. */
const outsider = (n: number) => `8:acs:${RESOURCE}_outsider-${n}`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

const requestsOf = (serverCallId: string, operation: string) =>
  stack.simulator.requests().filter((r) => r.operation === operation && r.serverCallId === serverCallId);

describe("a regulated member joins a call in progress", () => {
  it("the call is joined and recorded from then on, and the recording archived", async () => {
    const { serverCallId } = await stack.simulator.placeCall({
      from: outsider(1),
      to: outsider(2),
      additionalParticipants: [outsider(3)],
      durationMs: 60_000,
    });
    await eventually(
      () => (stack.simulator.getCall(serverCallId)?.state === "established" ? true : undefined),
      10_000,
      "the group call to start",
    );
    // Nobody on it is in a team: the workers decide not to record, and never join. Once the session knows all
    // three and every event delivered so far has been worked off (a connect would have been queued and made by
    // then), there is no connect.
    const firstMembers = [outsider(1), outsider(2), outsider(3)];
    await eventually(
      async () => {
        const session = await stack.runtime.sessions.get(serverCallId);
        const known = firstMembers.every((member) => session.participants.includes(member));
        return known && session.decision?.record === false ? true : undefined;
      },
      10_000,
      "the decision for the first members",
    );
    await drained(stack);
    expect(requestsOf(serverCallId, "connect")).toEqual([]);

    // A trading-desk member (required recording) joins.
    await stack.simulator.addParticipant(serverCallId, ALICE);
    await eventually(() => requestsOf(serverCallId, "connect")[0], 10_000, "a connect request");
    const recording = await eventually(
      () => stack.simulator.getCall(serverCallId)?.recordings.find((r) => r.state === "active"),
      10_000,
      "an active recording",
    );
    expect((await stack.runtime.sessions.get(serverCallId)).decision).toMatchObject({
      record: true,
      teamId: "trading-desk",
    });
    // The desk's unmixed ordering puts its member first, although she joined last.
    expect(recording.options).toMatchObject({
      channel: "unmixed",
      audioChannelParticipantOrdering: [ALICE, outsider(1), outsider(2), outsider(3)],
    });
    expect(requestsOf(serverCallId, "connect").map((r) => r.status)).toEqual([200]);
    expect(requestsOf(serverCallId, "startRecording").map((r) => r.status)).toEqual([200]);

    await stack.simulator.endCall(serverCallId);
    const chunk = await eventually(
      () => stack.simulator.getCall(serverCallId)?.recordings[0]?.chunks[0],
      10_000,
      "the recording's chunk",
    );
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    const entry = await eventually(
      async () => {
        const found = await ledger.get(serverCallId);
        return found?.outcome === "recorded" ? found : undefined;
      },
      20_000,
      "the ledger to say recorded",
    );
    expect(entry).toMatchObject({ teamId: "trading-desk", recordingId: recording.recordingId });
    const content = entry.manifest?.replace(/manifest\.json$/, "chunk-0000.wav") ?? "";
    expect(content).toMatch(new RegExp(`^trading-desk/.+/${safeSegment(serverCallId)}/.+/chunk-0000\\.wav$`));
    const properties = await stack.runtime.container.getBlockBlobClient(content).getProperties();
    expect(properties.metadata?.sha256).toBe(chunk.sha256);
  }, 60_000);
});
