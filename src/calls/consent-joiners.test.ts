import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CallSession, ConsentAnswer, ConsentFallback, PauseState } from "../sessions/index.js";
import { connectedCallOf, recordDecision, type RecordingAt } from "../sessions/test-fixtures.js";
import { consentAskOf, consentDecisionOf } from "./test-fixtures.js";
import { CONSENT_PAUSE_BY, consentGate, ledgerConsentOf, type ConsentGate } from "./consent.js";
import { jobsOfConsent } from "./consent-plan.js";
import { planCall } from "./plan.js";
import type { PresenceObservation } from "./scope.js";

// Joiners once recording has started, and the start window (docs/consent-flow.md "Joiners once recording has
// started"): a person outside the recording teams who comes on the call once a recording exists is asked only after
// the recording was paused; on consent it is resumed; on refusal or silence the policy's action applies to the
// recording (stopped, the call ended, or left paused for consent-fallback). In the start window (the start claimed,
// no recordingId yet) they wait until the recording can be paused.

const A = "4:+14155550101";
const J = "4:+13055550199";
const decidedBy = { party: A, jurisdiction: "US-CA", set: "all-party-consent" };
const askOf = (target: string, at: string, [onRefusal, onSilence]: [ConsentFallback, ConsentFallback]) =>
  consentAskOf({ at, decidedBy, target, ...(target === A ? {} : { parties: [A, target] }), onRefusal, onSilence });
const decisionOf = ([onRefusal, onSilence]: [ConsentFallback, ConsentFallback], ask = [A, J]) =>
  consentDecisionOf({ decidedBy, ask, onRefusal, onSilence });
const said = (outcome: ConsentAnswer["outcome"], at: string) => JSON.stringify({ outcome, at, seenAt: at });
const ourPause: PauseState = { at: "2026-12-04T10:01:00.100Z", by: CONSENT_PAUSE_BY, reason: "joiner" };
const pciPause: PauseState = { at: "2026-12-04T10:01:00.100Z", by: "operator", reason: "card-capture" };

/** A call where A consented and a recording started (or is starting); J's ask and answer as given. */
function call(
  j: { asked?: boolean; answer?: ConsentAnswer["outcome"] } = {},
  recording: RecordingAt = { id: "rec-1" },
  fallbacks: [ConsentFallback, ConsentFallback] = ["record-nothing", "end-call"],
  ended = false,
): CallSession {
  return connectedCallOf(recording, {
    ended,
    consentAsked: JSON.stringify(askOf(A, "2026-12-04T10:00:01Z", fallbacks)),
    consentAnswer: said("given", "2026-12-04T10:00:05Z"),
    ...(j.asked || j.answer
      ? {
          consentParties: {
            [J]: {
              ...(j.asked ? { asked: JSON.stringify(askOf(J, "2026-12-04T10:01:01Z", fallbacks)) } : {}),
              ...(j.answer ? { answer: said(j.answer, "2026-12-04T10:01:05Z") } : {}),
            },
          },
        }
      : {}),
  });
}

const NOTHING: [ConsentFallback, ConsentFallback] = ["record-nothing", "end-call"];
const OURS: [ConsentFallback, ConsentFallback] = ["record-our-side-only", "record-our-side-only"];

describe("the consent gate of a joiner once recording has started", () => {
  it.each([
    ["J joins, recording: pause first", call(), NOTHING, { kind: "pause", party: J, recordingId: "rec-1" }],
    [
      "J joins, paused by us: ask J",
      call({}, { id: "rec-1", pause: ourPause }),
      NOTHING,
      { kind: "ask", asked: { target: J, parties: [A, J] } },
    ],
    [
      "J joins during an operator's pause: ask J (already paused)",
      call({}, { id: "rec-1", pause: pciPause }),
      NOTHING,
      { kind: "ask" },
    ],
    [
      "J asked, paused: wait for J",
      call({ asked: true }, { id: "rec-1", pause: ourPause }),
      NOTHING,
      { kind: "waiting" },
    ],
    [
      "J asked while recording (asked in the start window): pause now",
      call({ asked: true }),
      NOTHING,
      { kind: "pause", party: J },
    ],
    [
      "J consents: open, resume our pause",
      call({ asked: true, answer: "given" }, { id: "rec-1", pause: ourPause }),
      NOTHING,
      { kind: "open", resume: { recordingId: "rec-1", pausedAt: ourPause.at } },
    ],
    [
      "J consents during an operator's pause: open, the operator resumes",
      call({ asked: true, answer: "given" }, { id: "rec-1", pause: pciPause }),
      NOTHING,
      { kind: "open", resume: undefined },
    ],
    [
      "J refuses, record-nothing: closed on the recording (stop)",
      call({ asked: true, answer: "refused" }, { id: "rec-1", pause: ourPause }),
      NOTHING,
      { kind: "closed", fallback: "record-nothing", party: J, recordingId: "rec-1" },
    ],
    [
      "J silent, end-call: closed on the recording (hang up)",
      call({ asked: true, answer: "silent" }, { id: "rec-1", pause: ourPause }),
      NOTHING,
      { kind: "closed", fallback: "end-call", party: J, recordingId: "rec-1" },
    ],
    [
      "J refuses, our side only, paused: closed, left paused",
      call({ asked: true, answer: "refused" }, { id: "rec-1", pause: ourPause }, OURS),
      OURS,
      { kind: "closed", fallback: "record-our-side-only", party: J, recordingId: "rec-1" },
    ],
    [
      "J refuses, our side only, not paused: pause first",
      call({ asked: true, answer: "refused" }, { id: "rec-1" }, OURS),
      OURS,
      { kind: "pause", party: J },
    ],
    [
      "J refused, the recording stopped: closed, no recording left",
      call({ asked: true, answer: "refused" }, { id: "rec-1", stopped: true }),
      NOTHING,
      { kind: "closed", fallback: "record-nothing", party: J, recordingId: undefined },
    ],
    [
      "the start window, J joins: wait (nothing to pause yet)",
      call({}, { starting: true }),
      NOTHING,
      { kind: "waiting" },
    ],
    ["the start window, J asked: wait", call({ asked: true }, { starting: true }), NOTHING, { kind: "waiting" }],
    [
      "the start window, J refuses (record-nothing): wait for the recording's id",
      call({ asked: true, answer: "refused" }, { starting: true }),
      NOTHING,
      { kind: "waiting" },
    ],
    [
      "the start window, J silent (end-call): hang up now",
      call({ asked: true, answer: "silent" }, { starting: true }),
      NOTHING,
      { kind: "closed", fallback: "end-call", recordingId: undefined },
    ],
    [
      "the start window, J consents: open",
      call({ asked: true, answer: "given" }, { starting: true }),
      NOTHING,
      { kind: "open", resume: undefined },
    ],
    [
      "no recording, no start: J asked at once, as before",
      call({}, {}),
      NOTHING,
      { kind: "ask", asked: { target: J } },
    ],
  ] as [string, CallSession, [ConsentFallback, ConsentFallback], object][])(
    "%s",
    (_name, session, fallbacks, expected) => {
      const gate = consentGate(session, decisionOf(fallbacks));
      expect(gate).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
      // A field the row expects undefined must be absent (toMatchObject alone would not say).
      for (const [field, value] of Object.entries(expected))
        if (value === undefined) expect((gate as Record<string, unknown>)[field]).toBeUndefined();
    },
  );

  it("a call that started with nobody to ask: the first question once recording pauses first too", () => {
    const none = { ...call({}, { id: "rec-1" }), consentAsked: undefined, consentAnswer: undefined };
    expect(consentGate(none, decisionOf(NOTHING, [J]))).toMatchObject({ kind: "pause", party: J });
    expect(consentGate({ ...none, pause: ourPause }, decisionOf(NOTHING, [J]))).toMatchObject({
      kind: "ask",
      asked: { target: J },
    });
    expect(consentGate({ ...none, recordingId: undefined, recordings: {} }, decisionOf(NOTHING, [J]))).toMatchObject({
      kind: "waiting",
    });
  });
});

/** The steps and jobs the plan makes of a call, by step. */
const planned = (session: CallSession, fallbacks = NOTHING) =>
  planCall(session, recordDecision(), undefined, undefined, decisionOf(fallbacks))
    // Connecting and starting are claimed in every plan of a recorded call (held once): the consent steps are the point.
    .jobs.filter((j) => !["connect-call", "start-recording", "enforce-start"].includes(j.name))
    .map((j) => [j.step, j.name]);

describe("what the plan does for a joiner", () => {
  it.each([
    ["joined: pause once, for them", call(), [[`consent-pause:${J}`, "pause-recording"]]],
    ["paused: ask", call({}, { id: "rec-1", pause: ourPause }), [[`ask-consent:${J}`, "ask-consent"]]],
    [
      "consented: resume that pause",
      call({ asked: true, answer: "given" }, { id: "rec-1", pause: ourPause }),
      [[`consent-resume:${ourPause.at}`, "resume-recording"]],
    ],
    [
      "refused, record-nothing: stop the recording and put the action on record",
      call({ asked: true, answer: "refused" }, { id: "rec-1", pause: ourPause }),
      [
        ["stop-recording:rec-1", "stop-recording"],
        ["consent-fallback", "consent-fallback"],
      ],
    ],
    [
      "silent, end-call: the fallback hangs up",
      call({ asked: true, answer: "silent" }, { id: "rec-1", pause: ourPause }),
      [["consent-fallback", "consent-fallback"]],
    ],
    ["the start window: nothing yet", call({}, { starting: true }), []],
    ["the call ended: nothing", call({}, { id: "rec-1" }, NOTHING, true), []],
  ] as [string, CallSession, string[][]][])("%s", (_name, session, expected) => {
    expect(planned(session)).toEqual(expected);
  });

  it("the jobs carry what they act on: the recording, the party, the pause", () => {
    const jobsOf = (gate: ConsentGate, session = call()) => jobsOfConsent(gate, session).map((j) => j.payload);
    expect(jobsOf({ kind: "pause", party: J, recordingId: "rec-1", reason: "r" })).toEqual([
      expect.objectContaining({ recordingId: "rec-1", by: CONSENT_PAUSE_BY, forConsentOf: J, autoResumeSeconds: null }),
    ]);
    expect(
      jobsOf({ kind: "closed", reason: "r", fallback: "record-our-side-only", party: J, recordingId: "rec-1" }),
    ).toEqual([expect.objectContaining({ fallback: "record-our-side-only", party: J, recordingId: "rec-1" })]);
    expect(jobsOf({ kind: "closed", reason: "r", fallback: "record-nothing", party: J, recordingId: "rec-1" })).toEqual(
      [
        expect.objectContaining({ recordingId: "rec-1", trigger: "request", by: `consent:${J}` }),
        expect.objectContaining({ fallback: "record-nothing", party: J, recordingId: "rec-1" }),
      ],
    );
    expect(jobsOf({ kind: "open", reason: "r", resume: { recordingId: "rec-1", pausedAt: "p" } })).toEqual([
      { serverCallId: "call-1", recordingId: "rec-1", by: CONSENT_PAUSE_BY, pausedAt: "p" },
    ]);
  });

  it("a call with a recording is no exempt call when a joiner refused: the recording is owed", () => {
    const refused = call({ asked: true, answer: "refused" }, { id: "rec-1", stopped: true });
    const ledger = ledgerConsentOf(refused);
    expect(ledger.outcome).toBeUndefined();
    expect(ledger.consent?.parties?.map((p) => [p.party, p.outcome])).toEqual([
      [A, "given"],
      [J, "refused"],
    ]);
  });
});

describe("a new recording after a stop by scope while someone's consent is outstanding", () => {
  // The agent (in scope) left, rec-1 was stopped by scope; J joined and was asked; the agent is back: a new recording
  // is due (start-recording:2), but not before J has consented (docs/consent-flow.md).
  const AGENT = "8:acs:agent";
  const back: PresenceObservation = {
    source: "connection",
    callConnectionId: "conn-1",
    sequenceNumber: 7,
    participants: [AGENT, A, J],
    at: "2026-12-04T10:02:00Z",
  };
  const scopeStopped = (j: { asked?: boolean; answer?: ConsentAnswer["outcome"] }): CallSession => ({
    ...call(j, { id: "rec-1" }),
    presence: [back],
    stops: { "rec-1": { recordingId: "rec-1", trigger: "scope", by: "scope", reason: "nobody in scope", at: "t" } },
  });
  const steps = (session: CallSession) =>
    planCall(session, recordDecision({ inScope: [AGENT] }), undefined, undefined, decisionOf(NOTHING))
      .jobs.filter((j) => !["connect", "start-recording", "enforce-start"].includes(j.step))
      .map((j) => j.step);

  it.each([
    ["J not asked yet: J asked (nothing to pause), no new recording", {}, [`ask-consent:${J}`]],
    ["J asked, no answer: the new recording is held", { asked: true }, []],
    [
      "J consented: the new recording starts, once the gate is open",
      { asked: true, answer: "given" },
      ["start-recording:2"],
    ],
    [
      "J refused (record-nothing): never started again, the fallback on record",
      { asked: true, answer: "refused" },
      ["consent-fallback"],
    ],
  ] as [string, { asked?: boolean; answer?: ConsentAnswer["outcome"] }, string[]][])("%s", (_name, j, expected) => {
    expect(steps(scopeStopped(j))).toEqual(expected);
  });

  it("J joins while the new recording is on its way (start-recording:2 claimed, no id yet): wait, then pause, then ask", () => {
    const restarting: CallSession = { ...scopeStopped({}), restartClaimed: 2 };
    expect(consentGate(restarting, decisionOf(NOTHING))).toMatchObject({ kind: "waiting" });
    expect(steps(restarting)).toEqual([]);
    // A restart claimed before this scope stop (generation 1 < 2 stops + 1) is no window.
    expect(consentGate({ ...scopeStopped({}), restartClaimed: 1 }, decisionOf(NOTHING))).toMatchObject({ kind: "ask" });
    const named: CallSession = {
      ...restarting,
      recordingId: "rec-2",
      recordings: {
        ...restarting.recordings,
        "rec-2": { state: "active", at: 2, initial: false, failed: false, source: "event" },
      },
    };
    expect(consentGate(named, decisionOf(NOTHING))).toMatchObject({ kind: "pause", party: J, recordingId: "rec-2" });
    expect(consentGate({ ...named, pause: ourPause }, decisionOf(NOTHING))).toMatchObject({
      kind: "ask",
      asked: { target: J },
    });
  });
});

describe("any order of the same facts, any redelivery: the same steps, once, pause before ask", () => {
  /**
   * A small world: the call after A's consent, its start claimed. Events (J joins, ACS names the recording, J
   * answers) come in any order, interleaved with the jobs the plans queued, and each plan may be evaluated again (a
   * redelivery). A step is claimed once (as the store's HSETNX does), its job queued then.
   */
  function run(order: number[], answer: "given" | "refused") {
    let session: CallSession = call({}, { starting: true });
    let ask = [A];
    const claimed = new Set<string>();
    const queued: { step: string; name: string }[] = [];
    const ran: string[] = [];
    const plan = () => {
      const jobs = planCall(session, recordDecision(), undefined, undefined, decisionOf(NOTHING, ask)).jobs;
      for (const job of jobs)
        if (!claimed.has(job.step)) {
          claimed.add(job.step);
          queued.push(job);
        }
    };
    const askedJ = () => session.consentParties?.[J]?.asked !== undefined;
    const parties = (facts: { asked?: string; answer?: string }) => ({
      consentParties: { ...session.consentParties, [J]: { ...session.consentParties?.[J], ...facts } },
    });
    const actions: (() => boolean)[] = [
      // J comes on the call.
      () => ask.length === 1 && ((ask = [A, J]), true),
      // ACS names the recording (the start's answer, or its RecordingStateChanged).
      () =>
        session.recordingId === undefined &&
        ((session = { ...call({}, { id: "rec-1" }), consentParties: session.consentParties, pause: session.pause }),
        true),
      // J answers, once asked.
      () =>
        askedJ() &&
        session.consentParties?.[J]?.answer === undefined &&
        ((session = { ...session, ...parties({ answer: said(answer, "2026-12-04T10:01:05Z") }) }), true),
      // The oldest queued job runs.
      () => {
        const job = queued.shift();
        if (!job) return false;
        ran.push(job.name === "ask-consent" ? `ask ${job.step}` : job.name);
        if (job.name === "pause-recording") session = { ...session, pause: ourPause };
        if (job.name === "resume-recording") session = { ...session, pause: undefined };
        if (job.name === "ask-consent")
          session = { ...session, ...parties({ asked: JSON.stringify(askOf(J, "2026-12-04T10:01:01Z", NOTHING)) }) };
        // A stopped recording is paused no more (stop-recording.ts).
        if (job.name === "stop-recording")
          session = {
            ...session,
            pause: undefined,
            stops: { "rec-1": { recordingId: "rec-1", trigger: "request", by: `consent:${J}`, reason: "r", at: "t" } },
          };
        return true;
      },
      // A redelivery: the same facts planned again.
      () => true,
    ];
    for (const i of order) if (actions[i % actions.length]?.()) plan();
    // Then everything that is still to happen, happens.
    for (let guard = 0; guard < 50 && actions.slice(0, 4).some((act) => act() && (plan(), true)); guard++);
    return { ran, session };
  }

  it.each(["given", "refused"] as const)("J %s: every order ends the same way", (answer) => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 30 }), (order) => {
        const { ran, session } = run(order, answer);
        const consentJobs = ran.filter((name) => !["start-recording", "enforce-start", "connect-call"].includes(name));
        // Paused once, before J is asked (and never before ACS named the recording); then resumed, or stopped.
        expect(consentJobs).toEqual(
          answer === "given"
            ? ["pause-recording", `ask ask-consent:${J}`, "resume-recording"]
            : ["pause-recording", `ask ask-consent:${J}`, "stop-recording", "consent-fallback"],
        );
        expect(session.pause).toBeUndefined();
      }),
    );
  });
});
