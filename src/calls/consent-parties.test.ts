import { describe, expect, it } from "vitest";
import type { CallSession, ConsentAnswer } from "../sessions/index.js";
import {
  consentContextOf,
  consentGate,
  consentRecordOf,
  isFurtherParty,
  ledgerConsentOf,
  partiesOf,
} from "./consent.js";
import { timeToRecordOrigin } from "./plan.js";
import { consentAskOf, consentDecisionOf, type ConsentAsk as Ask } from "./test-fixtures.js";

// All-party consent (docs/consent-flow.md "Who is asked"): everyone outside the recording teams is asked, one at a
// time; recording may start only when all have consented; any refusal or silence applies the policy's action.

const A = "4:+14155550101";
const B = "4:+13055550102";
const C = "8:acs:joiner";
const decidedBy = { party: A, jurisdiction: "US-CA", set: "all-party-consent" };
const decision = consentDecisionOf({ decidedBy, ask: [A, B] });
const askOf = (target: string, at: string): Ask => consentAskOf({ at, decidedBy, target, parties: [A, B] });
const said = (outcome: ConsentAnswer["outcome"], at: string, heard?: string) =>
  JSON.stringify({ outcome, at, seenAt: at, ...(heard ? { heard } : {}) });
type Facts = Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties" | "callConnectionId">;
/** The session's facts: A's ask and answer in the first pair, B's in consentParties. */
const session = (a?: string, b?: { asked: boolean; answer?: string }, connection = "conn"): Facts => ({
  callConnectionId: connection,
  consentAsked: JSON.stringify(askOf(A, "2026-12-04T10:00:01Z")),
  consentAnswer: a,
  ...(b
    ? {
        consentParties: {
          [B]: {
            ...(b.asked ? { asked: JSON.stringify(askOf(B, "2026-12-04T10:00:06Z")) } : {}),
            ...(b.answer ? { answer: b.answer } : {}),
          },
        },
      }
    : {}),
});

describe("consentGate with several parties", () => {
  it("the first question is of the first party, and names everyone to ask", () => {
    const gate = consentGate({ consentAsked: undefined, consentAnswer: undefined, callConnectionId: "c" }, decision);
    expect(gate).toMatchObject({ kind: "ask", asked: { target: A, parties: [A, B] } });
  });

  const T1 = "2026-12-04T10:00:05Z";
  const T2 = "2026-12-04T10:00:09Z";
  it.each([
    ["A not answered yet", session(), { kind: "waiting" }],
    [
      "A refused: record-nothing, B is never asked",
      session(said("refused", T1)),
      { kind: "closed", fallback: "record-nothing" },
    ],
    ["A silent: end-call", session(said("silent", T1)), { kind: "closed", fallback: "end-call" }],
    [
      "A consented: ask B, on B's leg",
      session(said("given", T1)),
      { kind: "ask", asked: { target: B, parties: [A, B] } },
    ],
    ["A consented, not connected: wait", session(said("given", T1), undefined, ""), { kind: "waiting" }],
    ["A consented, B asked: wait for B", session(said("given", T1), { asked: true }), { kind: "waiting" }],
    [
      "A consented, B refused: record-nothing",
      session(said("given", T1), { asked: true, answer: said("refused", T2) }),
      { kind: "closed", fallback: "record-nothing" },
    ],
    [
      "A consented, B silent: end-call",
      session(said("given", T1), { asked: true, answer: said("silent", T2) }),
      { kind: "closed", fallback: "end-call" },
    ],
    [
      "A consented, B could not be asked (failed): the silence action",
      session(said("given", T1), { asked: true, answer: said("failed", T2) }),
      { kind: "closed", fallback: "end-call" },
    ],
    ["both consented: open", session(said("given", T1), { asked: true, answer: said("given", T2) }), { kind: "open" }],
  ] as [string, Facts, object][])("%s", (_name, facts, expected) => {
    const fixed = { ...facts, callConnectionId: facts.callConnectionId || undefined };
    expect(consentGate(fixed, decision)).toMatchObject(expected);
  });

  it("someone who came on the call after a one-party question is asked next, as a further party", () => {
    const one: Ask = { ...askOf(A, "2026-12-04T10:00:01Z") };
    delete one.parties;
    const facts = { consentAsked: JSON.stringify(one), consentAnswer: said("given", T1), callConnectionId: "c" };
    const gate = consentGate(facts, { ...decision, ask: [A, B] });
    expect(gate).toMatchObject({ kind: "ask", asked: { target: B, parties: [A, B] } });
    expect(gate.kind === "ask" && isFurtherParty(gate.asked)).toBe(true);
    expect(gate.kind === "ask" && consentContextOf(gate.asked)).toBe(`recording-consent:${B}`);
    // Only A asked and on the call: open, as before all-party consent.
    expect(consentGate(facts, { ...decision, ask: [A] })).toMatchObject({ kind: "open" });
  });

  it("a later decision does not change whom the ask on record is for (an answer of B without the ask is not B's)", () => {
    const facts = session(said("given", T1), { asked: false, answer: said("given", T2) });
    expect(partiesOf(facts).map((p) => [p.party, p.asked?.target, p.answer?.outcome])).toEqual([
      [A, A, "given"],
      [B, undefined, "given"],
    ]);
    // B was not asked: B is asked now, whatever the answer field says.
    expect(consentGate(facts, decision)).toMatchObject({ kind: "ask", asked: { target: B } });
  });

  it("someone joining once recording has started is asked too, after a pause (consent-joiners.test.ts)", () => {
    const both = session(said("given", T1), { asked: true, answer: said("given", T2) });
    // No recording yet: C is asked too, after A and B.
    expect(consentGate(both, { ...decision, ask: [A, B, C] })).toMatchObject({ kind: "ask", asked: { target: C } });
    // Recording: C joined afterwards: the recording is paused first, nobody is alerted.
    const recording = { ...both, recordingId: "rec-1" };
    expect(consentGate(recording, { ...decision, ask: [A, B, C] })).toMatchObject({
      kind: "pause",
      party: C,
      recordingId: "rec-1",
    });
    expect(consentGate(recording, decision)).toMatchObject({ kind: "open" });
  });

  it("someone who came on the call before everyone consented is asked after the others", () => {
    const facts = session(said("given", T1), { asked: true, answer: said("given", T2) });
    // Not all given yet (B pending): C, now in the decision's ask, is queued after B.
    const pending = session(said("given", T1), { asked: true });
    expect(consentGate(pending, { ...decision, ask: [A, B, C] })).toMatchObject({ kind: "waiting" });
    const bGiven = {
      ...facts,
      consentParties: { ...facts.consentParties, [C]: { asked: JSON.stringify(askOf(C, "2026-12-04T10:00:10Z")) } },
    };
    expect(partiesOf(bGiven).map((p) => p.party)).toEqual([A, B, C]);
    expect(consentGate(bGiven, { ...decision, ask: [A, B, C] })).toMatchObject({ kind: "waiting" });
  });
});

describe("the record of an all-party consent", () => {
  const T1 = "2026-12-04T10:00:05Z";
  const T2 = "2026-12-04T10:00:09Z";
  it("both consented: recorded, the flat fields are the last consent's, every party listed", () => {
    const facts = session(said("given", T1, "dtmf 1"), { asked: true, answer: said("given", T2, "dtmf 1") });
    const record = consentRecordOf(facts);
    expect(record).toMatchObject({
      requirement: "consent",
      decidedBy,
      target: B,
      askedAt: "2026-12-04T10:00:01Z",
      outcome: "given",
      answeredAt: T2,
      parties: [
        { party: A, askedAt: "2026-12-04T10:00:01Z", outcome: "given", answeredAt: T1, heard: "dtmf 1" },
        { party: B, askedAt: "2026-12-04T10:00:06Z", outcome: "given", answeredAt: T2, heard: "dtmf 1" },
      ],
    });
    expect(record?.fallback).toBeUndefined();
    expect(ledgerConsentOf(facts)).toEqual({ consent: record });
    // Time to record starts at the last consent.
    expect(timeToRecordOrigin({ startedSeenAt: "2026-12-04T10:00:00Z", rangSeenAt: undefined, ...facts })).toEqual({
      seenAt: T2,
      seenVia: "consent",
    });
  });

  it("B refused: exempt, the refusal and the action on record, A's consent kept", () => {
    const facts = session(said("given", T1, "dtmf 1"), { asked: true, answer: said("refused", T2, "dtmf 2") });
    const ledger = ledgerConsentOf(facts);
    expect(ledger).toMatchObject({
      outcome: "exempt",
      consent: { target: B, outcome: "refused", heard: "dtmf 2", fallback: "record-nothing" },
    });
    expect(ledger.consent?.parties?.map((p) => p.outcome)).toEqual(["given", "refused"]);
    expect(ledger.reason).toMatch(/consent refused by 4:\+13055550102/);
  });

  it("the call ended while B was being asked: exempt, B awaited", () => {
    const ledger = ledgerConsentOf(session(said("given", T1), { asked: true }));
    expect(ledger).toMatchObject({ outcome: "exempt", consent: { target: B } });
    expect(ledger.consent?.outcome).toBeUndefined();
  });

  it("one party only: the record is as before (no parties list)", () => {
    const one = { ...askOf(A, "2026-12-04T10:00:01Z") };
    delete one.parties;
    const record = consentRecordOf({ consentAsked: JSON.stringify(one), consentAnswer: said("given", T1) });
    expect(record?.parties).toBeUndefined();
    expect(record).toMatchObject({ target: A, outcome: "given" });
  });
});
