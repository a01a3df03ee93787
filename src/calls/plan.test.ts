import { describe, expect, it } from "vitest";
import type { HealthVerdict } from "../health/index.js";
import type { CallSession } from "../sessions/index.js";
import { recordDecision, sessionOf, skipDecision as skip } from "../sessions/test-fixtures.js";
import { dueActions, needsHealth, planCall, SCOPE_STOP_SETTLE_MS, scopeAction, type CallPlan } from "./plan.js";
import type { PresenceObservation } from "./scope.js";

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

describe("scopeAction: join and leave sequences → actions", () => {
  const TRADER = "8:acs:r_trader";
  const PHONE_TRADER = "4:+442071110002";
  const CLIENT = "4:+442079460001";
  const COLLEAGUE = "8:acs:r_colleague";
  const OURS = "conn-ours";
  const at = (second: number) => `2026-12-04T10:00:${String(second).padStart(2, "0")}Z`;
  const left = (participant: string, second: number): PresenceObservation => ({
    source: "event-grid",
    change: "left",
    participant,
    at: at(second),
  });
  const joined = (participant: string, second: number): PresenceObservation => ({
    source: "event-grid",
    change: "joined",
    participant,
    at: at(second),
  });
  const list = (sequenceNumber: number, participants: string[], second: number): PresenceObservation => ({
    source: "connection",
    callConnectionId: OURS,
    sequenceNumber,
    participants,
    at: at(second),
  });
  /** A step: ACS says something; `answer` is what ACS's participant list says if the plan asks it. */
  type Step = { says: PresenceObservation; answer?: string[] };
  const scoped = (inScope: string[], until?: "call-end" | "last-in-scope-leaves") =>
    recordDecision({ inScope, ...(until ? { until } : {}) });

  /**
   * Plays the steps against a call recording as `rec-1`, doing what each plan says (a stop is put on record, a
   * start makes the next recording, a confirmation adds ACS's answer and plans again): the actions, in order.
   */
  function play(
    steps: Step[],
    decision: ReturnType<typeof recordDecision>,
    start: Partial<CallSession> = {},
  ): string[] {
    let session = sessionOf({ callConnectionId: OURS, recordingId: "rec-1", recordingState: "active", ...start });
    const done: string[] = [];
    const plan = (answer?: string[]) => {
      const action = scopeAction(session, decision);
      if (action.kind === "none") return done.push("none");
      if (action.kind === "stop" && action.job.name === "stop-recording") {
        const { recordingId, trigger, by, reason } = action.job.payload;
        done.push(`stop ${recordingId}`);
        session = {
          ...session,
          stops: { ...session.stops, [recordingId]: { recordingId, trigger, by, reason, at: "t" } },
        };
      } else if (action.kind === "start") {
        done.push(action.job.step);
        session = { ...session, recordingId: `rec-${action.job.step.split(":")[1]}` };
      } else if (action.kind === "confirm") {
        done.push("confirm");
        if (!answer) throw new Error("the plan asked ACS, the row gives no answer");
        const told: PresenceObservation = { source: "participant-list", participants: answer, at: at(59) };
        session = { ...session, presence: [...session.presence, told] };
        plan();
      }
      return done.length;
    };
    for (const { says, answer } of steps) {
      session = { ...session, presence: [...session.presence, says] };
      plan(answer);
    }
    return done;
  }

  it.each<{ name: string; steps: Step[]; decision?: ReturnType<typeof recordDecision>; expected: string[] }>([
    {
      name: "the trader (ACS user) leaves: stopped",
      steps: [{ says: left(TRADER, 10) }],
      expected: ["stop rec-1"],
    },
    {
      name: "someone else leaves: nothing",
      steps: [{ says: left(COLLEAGUE, 10) }],
      expected: ["none"],
    },
    {
      name: "the trader leaves and comes back: stopped, then a second recording",
      steps: [{ says: left(TRADER, 10) }, { says: joined(TRADER, 20) }],
      expected: ["stop rec-1", "start-recording:2"],
    },
    {
      name: "leaves, comes back, leaves again: each recording stopped once, one start",
      steps: [{ says: left(TRADER, 10) }, { says: joined(TRADER, 20) }, { says: left(TRADER, 30) }],
      expected: ["stop rec-1", "start-recording:2", "stop rec-2"],
    },
    {
      name: "…and back once more: the third recording",
      steps: [
        { says: left(TRADER, 10) },
        { says: joined(TRADER, 20) },
        { says: left(TRADER, 30) },
        { says: joined(TRADER, 40) },
      ],
      expected: ["stop rec-1", "start-recording:2", "stop rec-2", "start-recording:3"],
    },
    {
      name: "the same leave delivered twice: one stop",
      steps: [{ says: left(TRADER, 10) }, { says: left(TRADER, 10) }],
      expected: ["stop rec-1", "none"],
    },
    {
      name: "the rejoin delivered before the leave: the newest says present, nothing stops",
      steps: [{ says: joined(TRADER, 20) }, { says: left(TRADER, 10) }],
      expected: ["none", "none"],
    },
    {
      name: "two in scope: the ACS user leaves (recording goes on), then the phone trader's list without them: stopped",
      decision: scoped([TRADER, PHONE_TRADER]),
      steps: [
        { says: list(1, [TRADER, PHONE_TRADER, CLIENT], 1) },
        { says: left(TRADER, 10) },
        { says: list(3, [PHONE_TRADER, CLIENT], 11) },
        { says: list(5, [CLIENT], 20) },
      ],
      expected: ["none", "none", "none", "stop rec-1"],
    },
    {
      name: "a phone trader joining later, known from lists only, keeps the recording when the first trader leaves",
      decision: scoped([TRADER, PHONE_TRADER]),
      steps: [
        { says: list(1, [TRADER, CLIENT], 1) },
        { says: list(3, [TRADER, CLIENT, PHONE_TRADER], 5) },
        { says: left(TRADER, 10) },
      ],
      expected: ["none", "none", "none"],
    },
    {
      name: "our list says gone, Event Grid never said so: ask ACS; its list without the trader → stopped",
      steps: [{ says: joined(TRADER, 1) }, { says: list(2, [CLIENT, COLLEAGUE], 10), answer: [CLIENT, COLLEAGUE] }],
      expected: ["none", "confirm", "stop rec-1"],
    },
    {
      name: "sources disagree; ACS's list names the trader: the recording goes on",
      steps: [{ says: joined(TRADER, 1) }, { says: list(2, [CLIENT, COLLEAGUE], 10), answer: [TRADER, CLIENT] }],
      expected: ["none", "confirm", "none"],
    },
    {
      name: "until: call-end: the trader leaves, nothing stops",
      decision: scoped([TRADER], "call-end"),
      steps: [{ says: left(TRADER, 10) }],
      expected: ["none"],
    },
    {
      name: "a decision from before scope (no inScope): never stopped",
      decision: recordDecision(),
      steps: [{ says: left(TRADER, 10) }],
      expected: ["none"],
    },
  ])("$name → $expected", ({ steps, decision, expected }) => {
    expect(play(steps, decision ?? scoped([TRADER]))).toEqual(expected);
  });

  it("a recording stopped on request stays stopped, whoever comes and goes", () => {
    const requested = {
      recordingId: "rec-1",
      trigger: "request",
      by: "agent",
      reason: "customer-objection",
      at: "t",
    } as const;
    expect(
      play([{ says: left(TRADER, 10) }, { says: joined(TRADER, 20) }], scoped([TRADER]), {
        stops: { "rec-1": requested },
      }),
    ).toEqual(["none", "none"]);
  });

  it("does nothing before our connection, after the end, or before the recording's id is known", () => {
    const gone = { presence: [left(TRADER, 10)] };
    const decision = scoped([TRADER]);
    expect(scopeAction(sessionOf({ ...gone, recordingId: "rec-1" }), decision).reason).toBe(
      "not connected to the call",
    );
    expect(
      scopeAction(sessionOf({ ...gone, callConnectionId: OURS, recordingId: "rec-1", ended: true }), decision).kind,
    ).toBe("none");
    expect(scopeAction(sessionOf({ ...gone, callConnectionId: OURS }), decision)).toMatchObject({
      kind: "none",
      verdict: { want: "stop" },
    });
  });

  it("planCall claims the scope's step and queues its job, named for the recording it stops", () => {
    const session = sessionOf({
      started: true,
      callConnectionId: OURS,
      recordingId: "rec-1",
      recordingState: "active",
      presence: [left(TRADER, 10)],
    });
    const plan = planCall(session, scoped([TRADER]));
    expect(plan.claims).toContain("stop-recording:rec-1");
    expect(plan.jobs.at(-1)).toMatchObject({
      step: "stop-recording:rec-1",
      name: "stop-recording",
      delayMs: SCOPE_STOP_SETTLE_MS,
      payload: { ...ids, recordingId: "rec-1", trigger: "scope", by: "scope", reason: "no-in-scope-present" },
    });
  });
});
