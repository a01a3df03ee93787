import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedger } from "../../src/ledger/index.js";
import { metrics } from "../../src/metrics.js";
import { jobIdFor } from "../../src/queues/index.js";
import { finishedJob } from "../support/jobs.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const DEADLINE_SECONDS = 2;

/** Two teams with a 2 s recording deadline: one hangs up, one only alerts. */
const policy = (
  id: string,
  members: string[],
  onStartFailure: "hang-up" | "alert",
  onStop: "restart" | "hang-up" | "alert" = "alert",
) => `version: 1
team: { id: ${id}, name: ${id} }
members: [${members.map((m) => `"${m}"`).join(", ")}]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    enforcement: { startWithinSeconds: ${DEADLINE_SECONDS}, onStartFailure: ${onStartFailure}, onStop: ${onStop} }
`;

let stack: Stack;
let policyDir: string;
const ledger = () => createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
beforeAll(async () => {
  policyDir = await mkdtemp(join(tmpdir(), "enforcement-policies-"));
  await writeFile(join(policyDir, "strict.yaml"), policy("strict", [user("s1"), user("s2")], "hang-up"));
  await writeFile(join(policyDir, "lenient.yaml"), policy("lenient", [user("l1"), user("l2")], "alert"));
  await writeFile(join(policyDir, "restorer.yaml"), policy("restorer", [user("r1"), user("r2")], "alert", "restart"));
  await writeFile(join(policyDir, "closer.yaml"), policy("closer", [user("c1"), user("c2")], "alert", "hang-up"));
  stack = await startStack({ policyDir });
});
afterAll(async () => {
  await stack?.stop();
  await rm(policyDir, { recursive: true, force: true });
});

/** The call's recording deadline (queued when the call is decided, delayed to the policy's startWithinSeconds) has run. */
async function deadlinePassed(serverCallId: string): Promise<void> {
  const job = await finishedJob(stack, "enforce-start", jobIdFor(serverCallId, "enforce-start"));
  expect(job.failedReason).toBeUndefined();
}

async function alertsCounted(): Promise<number> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === "enforcement_actions_total");
  return (metric?.values ?? []).filter((v) => v.labels.action === "alert").reduce((sum, v) => sum + v.value, 0);
}

describe("recording enforcement at the deadline", () => {
  it("ends the call for everyone when recording never starts and the policy says hang up", async () => {
    // ACS refuses every start of recording for this call.
    stack.simulator.addFault({ target: "startRecording", kind: "status", status: 400, times: 50 });
    try {
      const placedAt = Date.now();
      const { serverCallId } = await stack.simulator.placeCall({
        from: user("s1"),
        to: user("s2"),
        durationMs: 30_000,
      });
      const terminate = await eventually(
        () => stack.simulator.requests().find((r) => r.operation === "terminate" && r.status === 204),
        15_000,
        "the call to be terminated",
      );
      expect(stack.simulator.getCall(serverCallId)?.state).toBe("ended");
      // On record: the call failed to be recorded, and why; the action taken.
      const entry = await eventually(
        async () => {
          const found = await ledger().get(serverCallId);
          return found?.actions?.length ? found : undefined;
        },
        10_000,
        "the ledger entry",
      );
      expect(entry).toMatchObject({ outcome: "failed", actions: [{ trigger: "deadline", action: "hang-up" }] });
      expect(entry.reason).toContain("recording did not start in time");
      // The deadline runs from CallStarted (~100 ms after placing, the simulator's ring time): N s ± 1 s.
      const acted = Date.parse(terminate.at) - placedAt - 100;
      expect(acted).toBeGreaterThanOrEqual((DEADLINE_SECONDS - 1) * 1000);
      expect(acted).toBeLessThanOrEqual((DEADLINE_SECONDS + 1) * 1000);
    } finally {
      stack.simulator.clearFaults();
    }
  });

  it("only alerts when the policy says alert, and the call goes on", async () => {
    stack.simulator.addFault({ target: "startRecording", kind: "status", status: 400, times: 50 });
    try {
      const before = await alertsCounted();
      const { serverCallId } = await stack.simulator.placeCall({
        from: user("l1"),
        to: user("l2"),
        durationMs: 30_000,
      });
      await eventually(async () => ((await alertsCounted()) > before ? true : undefined), 10_000, "an alert");
      await deadlinePassed(serverCallId);
      expect(stack.simulator.getCall(serverCallId)?.state).toBe("established");
      const terminates = stack.simulator
        .requests()
        .filter((r) => r.operation === "terminate" && r.serverCallId === serverCallId);
      expect(terminates).toEqual([]);
      await stack.simulator.endCall(serverCallId);
    } finally {
      stack.simulator.clearFaults();
    }
  });

  it("does nothing when recording started in time", async () => {
    const before = await alertsCounted();
    const { serverCallId } = await stack.simulator.placeCall({ from: user("s1"), to: user("s2"), durationMs: 30_000 });
    await eventually(
      () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
      10_000,
      "recording",
    );
    await deadlinePassed(serverCallId);
    expect(stack.simulator.getCall(serverCallId)?.state).toBe("established");
    expect(await alertsCounted()).toBe(before);
    await stack.simulator.endCall(serverCallId);
  });
});

describe("recording that stops during the call", () => {
  /**
   * Pauses the call's recording from outside our app, as an ACS-side interruption would leave it — after the
   * recording deadline has passed, so only the mid-call rule is at work.
   */
  async function interrupt(serverCallId: string): Promise<string> {
    const recording = await eventually(
      () => {
        const r = stack.simulator.getCall(serverCallId)?.recordings[0];
        return r?.state === "active" ? r : undefined;
      },
      10_000,
      "an active recording",
    );
    await deadlinePassed(serverCallId);
    const outsider = new CallAutomationClient(stack.simulator.connectionString, { allowInsecureConnection: true });
    await outsider.getCallRecording().pause(recording.recordingId);
    return recording.recordingId;
  }

  it("is resumed when the policy says restart", async () => {
    const { serverCallId } = await stack.simulator.placeCall({ from: user("r1"), to: user("r2"), durationMs: 30_000 });
    const recordingId = await interrupt(serverCallId);
    expect(stack.simulator.getCall(serverCallId)?.recordings[0]?.state).toBe("inactive");
    await eventually(
      () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
      10_000,
      "the recording to be active again",
    );
    const resumes = stack.simulator.requests().filter((r) => r.operation === "resumeRecording" && r.status === 202);
    expect(resumes.length).toBe(1);
    expect((await ledger().get(serverCallId))?.actions).toMatchObject([{ trigger: "mid-call", action: "resume" }]);
    expect(recordingId).toBeTruthy();
    expect(stack.simulator.getCall(serverCallId)?.state).toBe("established");
    await stack.simulator.endCall(serverCallId);
  });

  it("ends the call when the policy says hang up", async () => {
    const { serverCallId } = await stack.simulator.placeCall({ from: user("c1"), to: user("c2"), durationMs: 30_000 });
    await interrupt(serverCallId);
    await eventually(
      () => (stack.simulator.getCall(serverCallId)?.state === "ended" ? true : undefined),
      10_000,
      "the call to be ended",
    );
    expect(stack.simulator.requests().some((r) => r.operation === "terminate" && r.status === 204)).toBe(true);
  });
});
