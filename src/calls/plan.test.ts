import { describe, expect, it } from "vitest";
import type { HealthVerdict } from "../health/index.js";
import type { CallSession } from "../sessions/index.js";
import { recordDecision, skipDecision as skip } from "../sessions/test-fixtures.js";
import { dueActions, needsHealth, planCall, type CallPlan } from "./plan.js";

const record = recordDecision();

describe("dueActions", () => {
  it("announces once recording is active on our connection, when the decision has an announcement", () => {
    const announced = recordDecision({ announcement: { text: "This call is recorded." } });
    const live = { rang: true, started: true, callConnectionId: "c" };
    expect(dueActions({ ...live, recordingState: "active" }, announced)).toContain("announce");
    expect(dueActions({ ...live, recordingState: "inactive" }, announced)).not.toContain("announce");
    expect(dueActions({ ...live, recordingState: "active" }, record)).not.toContain("announce");
    expect(dueActions({ ...live, callConnectionId: undefined, recordingState: "active" }, announced)).not.toContain(
      "announce",
    );
  });

  it.each([
    { rang: false, started: false, callConnectionId: undefined, decision: record, expected: [] },
    { rang: true, started: false, callConnectionId: undefined, decision: record, expected: ["ring-watch"] },
    {
      rang: false,
      started: true,
      callConnectionId: undefined,
      decision: record,
      expected: ["connect", "enforce-start"],
    },
    {
      rang: true,
      started: true,
      callConnectionId: "c",
      decision: record,
      expected: ["connect", "start-recording", "enforce-start"],
    },
    {
      rang: true,
      started: false,
      callConnectionId: "c",
      decision: record,
      expected: ["ring-watch", "start-recording", "enforce-start"],
    },
    {
      rang: false,
      started: false,
      callConnectionId: "c",
      decision: record,
      expected: ["start-recording", "enforce-start"],
    },
    { rang: true, started: true, callConnectionId: undefined, decision: skip, expected: [] },
    { rang: false, started: true, callConnectionId: "c", decision: skip, expected: [] },
  ])(
    "rang=$rang started=$started connection=$callConnectionId record=$decision.record → $expected",
    ({ decision, expected, ...session }) => {
      expect(dueActions(session, decision)).toEqual(expected);
    },
  );
});

/** A session as the store reads one, with whatever facts a row needs. */
const sessionOf = (facts: Partial<CallSession> = {}): CallSession => ({
  serverCallId: "call-1",
  correlationId: "corr-1",
  participants: [],
  caller: undefined,
  callee: undefined,
  startedAt: undefined,
  policySetHash: undefined,
  rang: false,
  started: false,
  ended: false,
  decision: undefined,
  callConnectionId: undefined,
  ownConnectionId: undefined,
  connectedConnections: [],
  recordingId: undefined,
  recordingState: undefined,
  recordings: {},
  recordingVersion: 0,
  factsVersion: 1,
  restarts: 0,
  pause: undefined,
  announcement: undefined,
  startedSeenAt: undefined,
  rangSeenAt: undefined,
  ...facts,
});

const healthy: HealthVerdict = { canRecord: true, problems: [] };
const storageDown: HealthVerdict = { canRecord: false, problems: ["storage: probe failed"] };
const rejecting = recordDecision({ enforcement: { onStartFailure: "reject" } });
const announced = recordDecision({
  announcement: { text: "This call is recorded." },
  enforcement: { startWithinSeconds: 30 },
});
const connectLog = { teamId: "t", ruleId: "r", policyHash: "h", reason: "" };
const ids = { serverCallId: "call-1", correlationId: "corr-1" };

/** The parts of a plan a row states: its steps and each job as (step, name, payload, delay). */
const summary = (plan: CallPlan) => ({
  claims: plan.claims,
  jobs: plan.jobs.map(({ step, name, payload, delayMs }) => ({ step, name, payload, delayMs })),
  reject: plan.reject,
  removeRingWatch: plan.removeRingWatch,
});

describe("planCall", () => {
  it.each<{
    name: string;
    session: Partial<CallSession>;
    decision: ReturnType<typeof recordDecision>;
    health?: HealthVerdict;
    ring?: { keptApart: boolean };
    expected: ReturnType<typeof summary>;
  }>([
    {
      name: "not recorded: nothing claimed, nothing queued",
      session: { rang: true, started: true },
      decision: skip,
      expected: { claims: [], jobs: [], reject: undefined, removeRingWatch: false },
    },
    {
      name: "CallStarted: connect, and the deadline at the default 15 s (no enforcement in the decision)",
      session: { started: true, startedSeenAt: "2026-01-01T00:00:01Z" },
      decision: recordDecision(),
      expected: {
        claims: ["connect", "enforce-start"],
        jobs: [
          { step: "connect", name: "connect-call", payload: ids, delayMs: undefined },
          { step: "enforce-start", name: "enforce-start", payload: ids, delayMs: 15_000 },
        ],
        reject: undefined,
        removeRingWatch: false,
      },
    },
    {
      name: "rang then started: the connect ends the ring watchdog",
      session: { rang: true, started: true },
      decision: announced,
      expected: {
        claims: ["connect", "enforce-start"],
        jobs: [
          { step: "connect", name: "connect-call", payload: ids, delayMs: undefined },
          { step: "enforce-start", name: "enforce-start", payload: ids, delayMs: 30_000 },
        ],
        reject: undefined,
        removeRingWatch: true,
      },
    },
    {
      name: "IncomingCall only, healthy: a ring watchdog, no deadline before our connect",
      session: { rang: true },
      decision: rejecting,
      health: healthy,
      ring: { keptApart: true },
      expected: {
        claims: ["ring-watch"],
        jobs: [{ step: "ring-watch", name: "connect-ringing", payload: ids, delayMs: undefined }],
        reject: undefined,
        removeRingWatch: false,
      },
    },
    {
      name: "IncomingCall, storage down, policy rejects: the reject alone, context put apart first",
      session: { rang: true },
      decision: rejecting,
      health: storageDown,
      ring: { keptApart: false },
      expected: {
        claims: ["reject"],
        jobs: [
          {
            step: "reject",
            name: "reject-call",
            payload: { ...ids, reason: "recording impossible: storage: probe failed" },
            delayMs: undefined,
          },
        ],
        reject: { reason: "recording impossible: storage: probe failed", keepContextApart: true },
        removeRingWatch: false,
      },
    },
    {
      name: "storage down but the call already started: too late to reject, connect as usual",
      session: { rang: true, started: true },
      decision: rejecting,
      health: storageDown,
      ring: { keptApart: true },
      expected: {
        claims: ["connect", "enforce-start"],
        jobs: [
          { step: "connect", name: "connect-call", payload: ids, delayMs: undefined },
          { step: "enforce-start", name: "enforce-start", payload: ids, delayMs: 10_000 },
        ],
        reject: undefined,
        removeRingWatch: true,
      },
    },
    {
      name: "our connection, no CallStarted: recording starts timed from the ring, and the deadline runs",
      session: { rang: true, callConnectionId: "conn", rangSeenAt: "2026-01-01T00:00:00Z", correlationId: undefined },
      decision: recordDecision(),
      expected: {
        claims: ["ring-watch", "start-recording", "enforce-start"],
        jobs: [
          { step: "ring-watch", name: "connect-ringing", payload: { ...ids, correlationId: "" }, delayMs: undefined },
          {
            step: "start-recording",
            name: "start-recording",
            payload: {
              serverCallId: "call-1",
              correlationId: "",
              callConnectionId: "conn",
              recording: { content: "audio", channel: "mixed", format: "wav", pauseOnStart: false },
              seenAt: "2026-01-01T00:00:00Z",
              seenVia: "incoming-call",
            },
            delayMs: undefined,
          },
          {
            step: "enforce-start",
            name: "enforce-start",
            payload: { serverCallId: "call-1", correlationId: "" },
            delayMs: 15_000,
          },
        ],
        reject: undefined,
        removeRingWatch: false,
      },
    },
    {
      name: "recording active on our connection: the announcement joins the steps",
      session: {
        started: true,
        callConnectionId: "conn",
        recordingState: "active",
        startedSeenAt: "2026-01-01T00:00:01Z",
        rangSeenAt: "2026-01-01T00:00:00Z",
      },
      decision: announced,
      expected: {
        claims: ["connect", "start-recording", "enforce-start", "announce"],
        jobs: [
          { step: "connect", name: "connect-call", payload: ids, delayMs: undefined },
          {
            step: "start-recording",
            name: "start-recording",
            payload: {
              ...ids,
              callConnectionId: "conn",
              recording: { content: "audio", channel: "mixed", format: "wav", pauseOnStart: false },
              seenAt: "2026-01-01T00:00:01Z",
              seenVia: "call-started",
            },
            delayMs: undefined,
          },
          { step: "enforce-start", name: "enforce-start", payload: ids, delayMs: 30_000 },
          {
            step: "announce",
            name: "play-announcement",
            payload: { ...ids, callConnectionId: "conn", announcement: { text: "This call is recorded." } },
            delayMs: undefined,
          },
        ],
        reject: undefined,
        removeRingWatch: false,
      },
    },
  ])("$name", ({ session, decision, health, ring, expected }) => {
    expect(summary(planCall(sessionOf(session), decision, health, ring))).toEqual(expected);
  });

  it("counts each decision outcome once, by a tally step of its own", () => {
    expect(planCall(sessionOf(), recordDecision()).tally).toBe("decided:yes:required");
    expect(planCall(sessionOf(), recordDecision({ mode: "best-effort" })).tallyLabels).toEqual({
      record: "yes",
      reason: "best-effort",
    });
    expect(planCall(sessionOf(), skip)).toMatchObject({
      tally: "decided:no:no-team-member",
      tallyLabels: { record: "no", reason: "no-team-member" },
    });
  });

  it("pins the policy set that decides the call, only when none is pinned yet", () => {
    const pinning = recordDecision({ policySetHash: "set-2" });
    expect(planCall(sessionOf(), pinning).pinPolicySet).toBe("set-2");
    expect(planCall(sessionOf({ policySetHash: "set-1" }), pinning).pinPolicySet).toBeUndefined();
    expect(planCall(sessionOf(), recordDecision()).pinPolicySet).toBeUndefined();
  });

  it("says why nothing is recorded only for a call that started", () => {
    expect(planCall(sessionOf({ started: true }), skip).notRecording).toEqual({ reason: "" });
    expect(planCall(sessionOf({ rang: true }), skip).notRecording).toBeUndefined();
  });

  it("logs why it connects, with the rule that decided", () => {
    const [connect] = planCall(sessionOf({ started: true }), recordDecision()).jobs;
    expect(connect?.log).toEqual({ level: "info", message: "recording required: connecting", fields: connectLog });
  });

  it("asks for health only at IncomingCall under a policy that rejects, and fails loudly without it", () => {
    expect(needsHealth(rejecting, { keptApart: true })).toBe(true);
    expect(needsHealth(rejecting, undefined)).toBe(false);
    expect(needsHealth(recordDecision(), { keptApart: true })).toBe(false);
    expect(needsHealth(skip, { keptApart: true })).toBe(false);
    expect(() => planCall(sessionOf({ rang: true }), rejecting, undefined, { keptApart: true })).toThrow(/no health/);
  });
});
