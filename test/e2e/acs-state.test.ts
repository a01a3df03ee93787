// Recording state and connections as real ACS reports them (docs/acs-payloads.md "State events and connections"):
// state events out of order, another party's leg on the same call, and StartRecordingFailed.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedger } from "../../src/ledger/index.js";
import { metrics } from "../../src/metrics.js";
import { createQueues, enforceStart, jobIdFor, type Queues } from "../../src/queues/index.js";
import { createRedisSessionStore } from "../../src/sessions/index.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;

/** desk: announced, hang up on a failed start (deadline far off); watch: alert only, 3 s deadline. */
const policies = {
  "desk.yaml": `version: 1
team: { id: desk, name: desk }
members: ["${user("d1")}", "${user("d2")}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    announcement: { text: "This call is recorded." }
    enforcement: { startWithinSeconds: 30, onStartFailure: hang-up, onStop: hang-up }
`,
  "watch.yaml": `version: 1
team: { id: watch, name: watch }
members: ["${user("w1")}", "${user("w2")}"]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    enforcement: { startWithinSeconds: 3, onStartFailure: alert, onStop: alert }
`,
};

type LogLine = Record<string, unknown> & { msg?: string };
const lines: LogLine[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const text of chunk.toString("utf8").split("\n")) if (text.trim()) lines.push(JSON.parse(text) as LogLine);
    done();
  },
});

let stack: Stack;
let policyDir: string;
let queues: Queues;
let outsider: CallAutomationClient;
beforeAll(async () => {
  policyDir = await mkdtemp(join(tmpdir(), "acs-state-policies-"));
  for (const [file, text] of Object.entries(policies)) await writeFile(join(policyDir, file), text);
  // Activation takes 1.5 s (real ones took about 0.4 s): time for another leg to connect before recording is active.
  stack = await startStack({
    policyDir,
    timings: { recordingActivationMs: 1500 },
    env: { LOG_LEVEL: "info" },
    logDestination: capture,
  });
  queues = createQueues(stack.runtime.redis, stack.config.REDIS_PREFIX);
  outsider = new CallAutomationClient(stack.simulator.connectionString, { allowInsecureConnection: true });
});
afterAll(async () => {
  await queues?.close();
  await stack?.stop();
  await rm(policyDir, { recursive: true, force: true });
});

const sessions = () => createRedisSessionStore(stack.runtime.redis, stack.config.REDIS_PREFIX);
const ledger = () => createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
const scrape = async () => (await fetch(`${stack.opsUrl}/metrics`)).text();
const gauge = async () => {
  const line = (await scrape()).split("\n").find((l) => l.startsWith("recordings_active "));
  return line === undefined ? undefined : Number(line.slice("recordings_active ".length));
};
const session = (serverCallId: string) => sessions().get(serverCallId);
const until = <T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000) =>
  eventually(probe, timeoutMs, what);

/** Places a desk call and waits until the app holds its recording as active; returns the call and recording. */
async function recordedDeskCall(): Promise<{ serverCallId: string; recordingId: string }> {
  const { serverCallId } = await stack.simulator.placeCall({ from: user("d1"), to: user("d2"), durationMs: 60_000 });
  const active = await until(async () => {
    const s = await session(serverCallId);
    return s.recordingState === "active" && s.recordingId ? s : undefined;
  }, "the app to hold the recording as active");
  return { serverCallId, recordingId: active.recordingId! };
}

async function enforcementActions(trigger: string, action: string): Promise<number> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === "enforcement_actions_total");
  return (metric?.values ?? [])
    .filter((v) => v.labels.trigger === trigger && v.labels.action === action)
    .reduce((sum, v) => sum + v.value, 0);
}

describe("recording state decided by event time and ACS", () => {
  it("the recorded session's two state events swapped: the late placeholder inactive changes nothing", async () => {
    // The start's first event (inactive, startDateTime 0001-01-01) is held back until after `active`.
    stack.simulator.addFault({ target: "startRecording", kind: "delay-state-event", latencyMs: 2500 });
    const { serverCallId, recordingId } = await recordedDeskCall();
    try {
      await until(
        () =>
          lines.find(
            (l) => l.msg === "recording state changed" && l.serverCallId === serverCallId && l.initial === true,
          ),
        "the late placeholder inactive to be handled",
      );
      const after = await session(serverCallId);
      expect(after).toMatchObject({ recordingState: "active", recordings: { [recordingId]: { state: "active" } } });
      expect(await gauge()).toBe(1);
    } finally {
      await stack.simulator.endCall(serverCallId);
    }
    await until(async () => ((await gauge()) === 0 ? true : undefined), "recordings_active back to 0");
  });

  it("a pause's inactive overtaken by the resume's active: ACS is asked, the session stays active, counted once", async () => {
    const { serverCallId, recordingId } = await recordedDeskCall();
    try {
      expect(await gauge()).toBe(1);
      // Someone else pauses and resumes; the pause's event is delivered after the resume's (ACS promises no order).
      stack.simulator.addFault({ target: "pauseRecording", kind: "delay-state-event", latencyMs: 1000 });
      await outsider.getCallRecording().pause(recordingId);
      await outsider.getCallRecording().resume(recordingId);
      // check-recording has run once ACS's answer is what the session holds.
      const checked = await until(async () => {
        const s = await session(serverCallId);
        return s.recordings[recordingId]?.source === "acs" ? s : undefined;
      }, "check-recording to ask ACS");
      expect(checked).toMatchObject({ recordingState: "active", recordings: { [recordingId]: { state: "active" } } });
      // The pause's event was older than the resume's: not taken, a conflict for ACS to settle.
      const pauseEvent = lines.find(
        (l) =>
          l.msg === "recording state changed" &&
          l.serverCallId === serverCallId &&
          l.state === "inactive" &&
          l.initial === false,
      );
      expect(pauseEvent).toMatchObject({ stale: true, conflict: true, callRecordingState: "active" });
      expect(await gauge()).toBe(1);
      // Nothing was enforced: the call goes on (the policy would have hung up on a real stop).
      expect(stack.simulator.getCall(serverCallId)?.state).toBe("established");
      expect(
        stack.simulator.requests().filter((r) => r.operation === "terminate" && r.serverCallId === serverCallId),
      ).toEqual([]);
    } finally {
      await stack.simulator.endCall(serverCallId);
    }
    await until(async () => ((await gauge()) === 0 ? true : undefined), "recordings_active back to 0");
  });
});

describe("our connection", () => {
  it("another party's leg on the same call, connected last: the announcement is played on ours", async () => {
    // Our start of recording takes 1.5 s more at ACS: room for their CallConnected before recording is active.
    stack.simulator.addFault({ target: "startRecording", kind: "latency", latencyMs: 1500 });
    const { serverCallId } = await stack.simulator.placeCall({ from: user("d1"), to: user("d2"), durationMs: 60_000 });
    try {
      // As soon as our connect is made, another app joins the same call, with the same callback address: its
      // CallConnected reaches us after ours, and before recording is active.
      const ours = await until(
        () => stack.simulator.getCall(serverCallId)?.connections[0]?.callConnectionId,
        "our connection",
      );
      const theirs = (
        await outsider.connectCall(
          { kind: "serverCallLocator", id: serverCallId },
          `${stack.config.PUBLIC_BASE_URL}/api/callbacks`,
          {
            operationContext: "another-app",
          },
        )
      ).callConnectionProperties.callConnectionId;
      expect(theirs).toBeDefined();
      expect(theirs).not.toBe(ours);
      const noted = await until(async () => {
        const s = await session(serverCallId);
        return s.connectedConnections.includes(theirs!) ? s : undefined;
      }, "their CallConnected to be handled");
      expect(noted.recordingState).not.toBe("active");
      const plays = await until(() => {
        const found = stack.simulator
          .requests()
          .filter((r) => r.operation === "play" && r.serverCallId === serverCallId);
        return found.length > 0 ? found : undefined;
      }, "the announcement");
      expect(plays.map((r) => [r.path, r.status])).toEqual([[`/calling/callConnections/${ours}:play`, 202]]);
      // PlayCompleted of our connection (not ignored as another's) marks it played.
      const played = await until(async () => {
        const s = await session(serverCallId);
        return s.announcement?.status === "played" ? s : undefined;
      }, "the announcement to be played");
      expect(played).toMatchObject({
        callConnectionId: ours,
        ownConnectionId: ours,
        connectedConnections: [ours, theirs].sort(),
      });
      expect(
        lines.some((l) => l.msg === "another connection to the call: noted, not ours" && l.callConnectionId === theirs),
      ).toBe(true);
    } finally {
      await stack.simulator.endCall(serverCallId);
    }
  });
});

describe("StartRecordingFailed", () => {
  it("is a failed start under the policy: hang-up now, not at the deadline 30 s later", async () => {
    stack.simulator.addFault({ target: "startRecording", kind: "start-recording-failed" });
    const before = await enforcementActions("start-failed", "hang-up");
    const placedAt = Date.now();
    const { serverCallId } = await stack.simulator.placeCall({ from: user("d1"), to: user("d2"), durationMs: 60_000 });
    await until(
      () => (stack.simulator.getCall(serverCallId)?.state === "ended" ? true : undefined),
      "the call to be ended",
    );
    expect(Date.now() - placedAt).toBeLessThan(15_000);
    const terminates = stack.simulator
      .requests()
      .filter((r) => r.operation === "terminate" && r.serverCallId === serverCallId);
    expect(terminates.map((r) => r.status)).toEqual([204]);
    const entry = await until(async () => {
      const found = await ledger().get(serverCallId);
      return found?.actions?.length ? found : undefined;
    }, "the ledger entry");
    expect(entry).toMatchObject({ outcome: "failed", actions: [{ trigger: "start-failed", action: "hang-up" }] });
    expect(entry.reason).toContain("StartRecordingFailed");
    expect(await enforcementActions("start-failed", "hang-up")).toBe(before + 1);
    const failed = await session(serverCallId);
    expect(failed.recordings[failed.recordingId!]).toMatchObject({ failed: true, state: "inactive" });
  });

  it("alert policy: one alert at once; the deadline that finds the same failed start adds none", async () => {
    stack.simulator.addFault({ target: "startRecording", kind: "start-recording-failed" });
    const before = await enforcementActions("start-failed", "alert");
    const beforeDeadline = await enforcementActions("deadline", "alert");
    const { serverCallId } = await stack.simulator.placeCall({ from: user("w1"), to: user("w2"), durationMs: 60_000 });
    try {
      await until(
        async () => ((await enforcementActions("start-failed", "alert")) > before ? true : undefined),
        "the alert",
      );
      // The deadline job (3 s) has run to completion: a deterministic end to wait for.
      await until(
        async () =>
          (await queues.getJob(enforceStart, jobIdFor(serverCallId, "enforce-start")))?.finishedOn ? true : undefined,
        "the deadline to pass",
      );
      expect(await enforcementActions("start-failed", "alert")).toBe(before + 1);
      expect(await enforcementActions("deadline", "alert")).toBe(beforeDeadline);
      expect((await ledger().get(serverCallId))?.actions).toMatchObject([{ trigger: "start-failed", action: "alert" }]);
      expect(stack.simulator.getCall(serverCallId)?.state).toBe("established");
    } finally {
      await stack.simulator.endCall(serverCallId);
    }
  });
});
