import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterEach(() => stack.simulator.clearFaults());
afterAll(async () => {
  await stack?.stop();
});

/** Requests of one kind since a moment: a faulted request is answered before the simulator knows its call. */
const requestsSince = (operation: string, since: number) =>
  stack.simulator.requests().filter((r) => r.operation === operation && Date.parse(r.at) >= since);

async function recordingActive(serverCallId: string) {
  await eventually(
    () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
    20_000,
    "the recording to be active",
  );
}

describe("ACS answering with errors", () => {
  it("honours Retry-After on a 429 to connect", async () => {
    stack.simulator.addFault({ target: "connect", kind: "status", status: 429, retryAfterSeconds: 2, times: 1 });
    const since = Date.now();
    const { serverCallId } = await stack.simulator.placeCall({ from: ALICE, to: BOB, durationMs: 20_000 });
    await recordingActive(serverCallId);
    const [throttled, accepted] = requestsSince("connect", since);
    expect([throttled?.status, accepted?.status]).toEqual([429, 200]);
    const waitedMs = Date.parse(accepted!.at) - Date.parse(throttled!.at);
    expect(waitedMs).toBeGreaterThanOrEqual(2_000);
    expect(waitedMs).toBeLessThan(4_000);
    await stack.simulator.endCall(serverCallId);
  });

  it("retries connect and start recording through server errors", async () => {
    stack.simulator.addFault({ target: "connect", kind: "status", status: 503, times: 2 });
    stack.simulator.addFault({ target: "startRecording", kind: "status", status: 500, times: 1 });
    const since = Date.now();
    const { serverCallId } = await stack.simulator.placeCall({ from: ALICE, to: BOB, durationMs: 30_000 });
    await recordingActive(serverCallId);
    expect(requestsSince("connect", since).map((r) => r.status)).toEqual([503, 503, 200]);
    expect(requestsSince("startRecording", since).map((r) => r.status)).toEqual([500, 200]);
    // One call connection, one recording: the retries did not double anything.
    expect(stack.simulator.getCall(serverCallId)?.connections).toHaveLength(1);
    expect(stack.simulator.getCall(serverCallId)?.recordings).toHaveLength(1);
    await stack.simulator.endCall(serverCallId);
  });
});
