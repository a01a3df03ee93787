import { describe, expect, it } from "vitest";
import type { CallSession, ConsentAnswer } from "../sessions/index.js";
import { recordDecision, sessionOf, skipDecision } from "../sessions/test-fixtures.js";
import { consentGate } from "./consent.js";
import { ourSideOnlyPlan, unarchivedPartiesOf } from "./our-side-only.js";
import { planCall } from "./plan.js";
import type { PresenceObservation } from "./scope.js";
import { consentAskOf, consentDecisionOf, type ConsentAsk as Ask } from "./test-fixtures.js";

const AGENT = "8:acs:agent";
const A = "4:+14155550101";
const B = "4:+13055550102";
const C = "8:acs:joiner";
const AT = "2026-12-04T10:00:09Z";
const askOf = (target: string, parties?: string[]): Ask =>
  consentAskOf({
    at: "2026-12-04T10:00:01Z",
    decidedBy: { party: A, jurisdiction: "US-CA", set: "all-party-consent" },
    target,
    ...(parties ? { parties } : {}),
    onRefusal: "record-our-side-only",
    onSilence: "record-our-side-only",
  });
const said = (outcome: ConsentAnswer["outcome"]) => JSON.stringify({ outcome, at: "2026-12-04T10:00:05Z" });
type Facts = Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties">;

describe("unarchivedPartiesOf", () => {
  it.each<{ name: string; session: Facts; party?: string; expected: Record<string, string> }>([
    {
      name: "one party refused",
      session: { consentAsked: JSON.stringify(askOf(A)), consentAnswer: said("refused"), consentParties: undefined },
      expected: { [A]: "refused" },
    },
    {
      name: "one party silent",
      session: { consentAsked: JSON.stringify(askOf(A)), consentAnswer: said("silent"), consentParties: undefined },
      expected: { [A]: "silent" },
    },
    {
      name: "the first consented, the second refused",
      session: {
        consentAsked: JSON.stringify(askOf(A, [A, B])),
        consentAnswer: said("given"),
        consentParties: { [B]: { asked: JSON.stringify(askOf(B, [A, B])), answer: said("refused") } },
      },
      expected: { [B]: "refused" },
    },
    {
      name: "the first refused: the second, never asked, is not archived either",
      session: {
        consentAsked: JSON.stringify(askOf(A, [A, B])),
        consentAnswer: said("refused"),
        consentParties: undefined,
      },
      expected: { [A]: "refused", [B]: "not asked" },
    },
    {
      name: "a joiner routed here by id while a recording runs",
      session: {
        consentAsked: JSON.stringify(askOf(A)),
        consentAnswer: said("given"),
        consentParties: { [C]: { asked: JSON.stringify(askOf(C, [A, C])), answer: said("silent") } },
      },
      party: C,
      expected: { [C]: "silent" },
    },
    {
      name: "a joiner with nothing on record yet",
      session: { consentAsked: JSON.stringify(askOf(A)), consentAnswer: said("given"), consentParties: undefined },
      party: C,
      expected: { [C]: "no consent" },
    },
  ])("$name", ({ session, party, expected }) => {
    const parties = unarchivedPartiesOf(session, party, AT);
    expect(Object.fromEntries(Object.entries(parties).map(([p, e]) => [p, e.why]))).toEqual(expected);
    for (const entry of Object.values(parties)) expect(entry.at).toBe(AT);
  });
});

describe("ourSideOnlyPlan", () => {
  const unmixed = recordDecision({
    recording: {
      content: "audio",
      channel: "unmixed",
      format: "wav",
      pauseOnStart: false,
      storage: { kind: "customer", containerUrl: "https://acct.blob.core.windows.net/recordings" },
      participantOrdering: [A, AGENT],
    },
    inScope: [AGENT],
  });

  it("records unmixed in ACS's storage, our members first and the refusers last", () => {
    const plan = ourSideOnlyPlan(unmixed, [A]);
    expect(plan).toEqual({
      content: "audio",
      channel: "unmixed",
      format: "wav",
      pauseOnStart: false,
      participantOrdering: [AGENT, A],
    });
    expect(plan).not.toHaveProperty("storage");
  });

  it.each([
    ["a mixed recording", recordDecision()],
    [
      "an MP3",
      recordDecision({ recording: { content: "audio", channel: "mixed", format: "mp3", pauseOnStart: false } }),
    ],
    ["a decision not to record", skipDecision],
  ])("refuses %s", (_name, decision) => {
    expect(ourSideOnlyPlan(decision, [A])).toBeUndefined();
  });
});

describe("the consent gate of an our-side-only call with a recording", () => {
  const refused = {
    consentAsked: JSON.stringify(askOf(A)),
    consentAnswer: said("refused"),
    consentParties: undefined,
    callConnectionId: "conn",
    recordingId: "rec-1",
    recordings: { "rec-1": { state: "active" } as never },
  };
  it("a refuser not yet on record as unarchived: the recording is paused until the fallback decides", () => {
    expect(consentGate(refused, undefined)).toMatchObject({ kind: "pause", party: A, recordingId: "rec-1" });
  });
  it("once on record (the fallback's first step): closed, the recording runs, nothing paused", () => {
    const gate = consentGate({ ...refused, unarchivedParties: { [A]: { why: "refused", at: AT } } }, undefined);
    expect(gate).toMatchObject({ kind: "closed", fallback: "record-our-side-only", party: A, recordingId: "rec-1" });
  });
});

describe("a new recording after a stop by scope, on a call recorded for our side only", () => {
  const customerContainer = {
    kind: "customer" as const,
    containerUrl: "https://acct.blob.core.windows.net/recordings",
  };
  const unmixed = recordDecision({
    recording: { content: "audio", channel: "unmixed", format: "wav", pauseOnStart: false, storage: customerContainer },
    inScope: [AGENT],
  });
  const consent = consentDecisionOf({
    ask: [A],
    decidedBy: { party: A, jurisdiction: "US-CA", set: "all-party-consent" },
    onRefusal: "record-our-side-only",
    onSilence: "record-our-side-only",
  });
  const list = (sequenceNumber: number, second: number, ...participants: string[]): PresenceObservation => ({
    source: "connection",
    callConnectionId: "conn",
    sequenceNumber,
    participants,
    at: `2026-12-04T10:01:${String(second).padStart(2, "0")}Z`,
  });
  /** A refused, our side recorded as `rec-1`, stopped by scope when the agent left; the agent is back. */
  const session = (facts: Partial<CallSession> = {}): CallSession =>
    sessionOf({
      participants: [AGENT, A],
      started: true,
      callConnectionId: "conn",
      ownConnectionId: "conn",
      connectedConnections: ["conn"],
      recordingId: "rec-1",
      recordingState: "inactive",
      recordings: { "rec-1": { state: "inactive", at: 2, initial: false, failed: false, source: "event" } },
      recordingVersion: 2,
      presence: [list(1, 0, AGENT, A), list(2, 10, A), list(3, 20, AGENT, A)],
      stops: {
        "rec-1": { recordingId: "rec-1", trigger: "scope", by: "scope", reason: "no-in-scope-present", at: "t" },
      },
      consentAsked: JSON.stringify(askOf(A)),
      consentAnswer: said("refused"),
      unarchivedParties: { [A]: { why: "refused", at: AT } },
      ...facts,
    });
  const restartOf = (facts: Partial<CallSession>, decision = unmixed) =>
    planCall(session(facts), decision, undefined, undefined, consent).jobs.find(
      (job) => job.step === "start-recording:2",
    );

  it("is recorded for our side only too: unmixed, our members first, in ACS's storage — never the team's container", () => {
    expect(restartOf({})).toMatchObject({
      name: "start-recording",
      payload: { recording: ourSideOnlyPlan(unmixed, [A]), generation: 2 },
    });
    expect(restartOf({})?.payload).not.toHaveProperty("recording.storage");
  });

  it("a call where everyone consented restarts the rule's own recording, in the team's container", () => {
    expect(restartOf({ consentAnswer: said("given"), unarchivedParties: undefined })?.payload).toMatchObject({
      recording: { storage: customerContainer },
    });
  });
});
