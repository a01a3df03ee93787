import { describe, expect, it } from "vitest";
import type { AcsEvent } from "../intake/index.js";
import type { CallConsent } from "../policy/index.js";
import type { CallSession, ConsentAnswer, ConsentAsked } from "../sessions/index.js";
import { recordDecision, sessionOf } from "../sessions/test-fixtures.js";
import { consentAnswerOf, consentGate, ledgerConsentOf } from "./consent.js";
import { planCall, timeToRecordOrigin } from "./plan.js";

const PHONE = "4:+14155550123";
const decidedBy = { party: PHONE, jurisdiction: "US-CA", set: "all-party-consent-us", source: "phone-number" as const };
const base = { ruleId: "r", parties: [], unhandled: [], explanation: "California: all-party consent", teamId: "t" };
const consentDecision: CallConsent = {
  ...base,
  requirement: "consent",
  decidedBy,
  prompt: { text: "This call may be recorded. Press 1 or say yes to agree.", locale: "en-US" },
  accept: { dtmf: ["1"], speech: ["yes", "i agree"] },
  timeoutSeconds: 8,
  onRefusal: "record-nothing",
  onSilence: "end-call",
};
const noticeDecision: CallConsent = {
  ...base,
  requirement: "notice",
  decidedBy,
  announcement: { text: "This call is recorded.", locale: "en-GB" },
};
const asked: Extract<ConsentAsked, { requirement: "consent" }> = {
  requirement: "consent",
  at: "2026-12-04T10:00:01Z",
  decidedBy: { party: PHONE, jurisdiction: "US-CA", set: "all-party-consent-us" },
  target: PHONE,
  prompt: { text: "Press 1", locale: "en-US" },
  accept: { dtmf: ["1"], speech: ["yes", "i agree"] },
  timeoutSeconds: 8,
  onRefusal: "record-nothing",
  onSilence: "end-call",
  explanation: "California",
};
const noticeAsked: ConsentAsked = {
  requirement: "notice",
  at: "2026-12-04T10:00:01Z",
  decidedBy: asked.decidedBy,
  announcement: { text: "This call is recorded.", locale: "en-GB" },
  explanation: "UK",
};
const answer = (outcome: ConsentAnswer["outcome"], extra: Partial<ConsentAnswer> = {}): string =>
  JSON.stringify({ outcome, at: "2026-12-04T10:00:05Z", ...extra });

const facts = (f: { asked?: ConsentAsked; answer?: string; connection?: string }) => ({
  consentAsked: f.asked ? JSON.stringify(f.asked) : undefined,
  consentAnswer: f.answer,
  callConnectionId: f.connection,
});

describe("consentGate", () => {
  it.each([
    ["no consent decision", facts({ connection: "c" }), undefined, "open"],
    ["requirement none", facts({ connection: "c" }), { ...base, requirement: "none" } as CallConsent, "open"],
    ["consent, not connected yet", facts({}), consentDecision, "waiting"],
    ["consent, connected: ask", facts({ connection: "c" }), consentDecision, "ask"],
    ["notice, connected: notify", facts({ connection: "c" }), noticeDecision, "notify"],
    ["asked, no answer", facts({ asked, connection: "c" }), consentDecision, "waiting"],
    ["given", facts({ asked, answer: answer("given"), connection: "c" }), consentDecision, "open"],
    ["refused", facts({ asked, answer: answer("refused"), connection: "c" }), consentDecision, "closed"],
    ["silent", facts({ asked, answer: answer("silent"), connection: "c" }), consentDecision, "closed"],
    ["failed", facts({ asked, answer: answer("failed"), connection: "c" }), consentDecision, "closed"],
    // Once asked, the ask on record decides, whatever the parties would decide now.
    ["given, the decision now says none", facts({ asked, answer: answer("given") }), undefined, "open"],
    ["asked, the decision now says none", facts({ asked, connection: "c" }), undefined, "waiting"],
    ["notice played", facts({ asked: noticeAsked, answer: answer("notified") }), noticeDecision, "open"],
    ["notice failed", facts({ asked: noticeAsked, answer: answer("notice-failed") }), noticeDecision, "closed"],
  ] as const)("%s → %s", (_name, session, consent, kind) => {
    expect(consentGate(session, consent).kind).toBe(kind);
  });

  it("the fallback follows the answer: onRefusal for a refusal, onSilence for silence or failure", () => {
    expect(consentGate(facts({ asked, answer: answer("refused") }), undefined)).toMatchObject({
      kind: "closed",
      fallback: "record-nothing",
    });
    expect(consentGate(facts({ asked, answer: answer("silent") }), undefined)).toMatchObject({
      kind: "closed",
      fallback: "end-call",
    });
    expect(consentGate(facts({ asked: noticeAsked, answer: answer("notice-failed") }), undefined)).toMatchObject({
      kind: "closed",
      fallback: "record-nothing",
    });
  });

  it("asks the party whose jurisdiction decided, with the policy's answers and timeout", () => {
    expect(consentGate(facts({ connection: "c" }), consentDecision)).toMatchObject({
      kind: "ask",
      asked: { target: PHONE, accept: { dtmf: ["1"] }, timeoutSeconds: 8, onRefusal: "record-nothing" },
    });
  });
});

const event = (type: string, data: Record<string, unknown>): AcsEvent =>
  ({
    id: "e1",
    type: `Microsoft.Communication.${type}`,
    subject: "s",
    time: "2026-12-04T10:00:05Z",
    data: { callConnectionId: "c", serverCallId: "s", correlationId: "k", operationContext: "x", ...data },
  }) as AcsEvent;

describe("consentAnswerOf", () => {
  type RecognizeEvent = Parameters<typeof consentAnswerOf>[0];
  it.each([
    [
      "key 1",
      event("RecognizeCompleted", { recognitionType: "dtmf", dtmfResult: { tones: ["one"] } }),
      "given",
      "dtmf 1",
    ],
    [
      "key 2",
      event("RecognizeCompleted", { recognitionType: "dtmf", dtmfResult: { tones: ["two"] } }),
      "refused",
      "dtmf 2",
    ],
    [
      "yes",
      event("RecognizeCompleted", { recognitionType: "speech", speechResult: { speech: "Yes, I agree." } }),
      "given",
      'speech "Yes, I agree."',
    ],
    [
      "no",
      event("RecognizeCompleted", { recognitionType: "speech", speechResult: { speech: "No thanks" } }),
      "refused",
      'speech "No thanks"',
    ],
    [
      "silence 8510",
      event("RecognizeFailed", { resultInformation: { code: 400, subCode: 8510 } }),
      "silent",
      undefined,
    ],
    [
      "inter-digit 8532",
      event("RecognizeFailed", { resultInformation: { code: 400, subCode: 8532 } }),
      "silent",
      undefined,
    ],
    [
      "prompt failed 8511",
      event("RecognizeFailed", { resultInformation: { code: 400, subCode: 8511 } }),
      "failed",
      undefined,
    ],
    ["canceled", event("RecognizeCanceled", { resultInformation: { code: 400, subCode: 8508 } }), "failed", undefined],
  ])("%s → %s", (_name, e, outcome, heard) => {
    const got = consentAnswerOf(e as RecognizeEvent, asked);
    expect(got.outcome).toBe(outcome);
    expect(got.heard).toBe(heard);
    expect(got.at).toBe("2026-12-04T10:00:05Z");
  });
});

describe("ledgerConsentOf", () => {
  it("consent given: the evidence, the outcome left to the recording", () => {
    const got = ledgerConsentOf(facts({ asked, answer: answer("given", { heard: "dtmf 1", matched: "1" }) }));
    expect(got.outcome).toBeUndefined();
    expect(got.consent).toMatchObject({ requirement: "consent", outcome: "given", heard: "dtmf 1", target: PHONE });
  });
  it("refused: exempt, with why and the fallback", () => {
    const got = ledgerConsentOf(facts({ asked, answer: answer("refused", { heard: "dtmf 2" }) }));
    expect(got).toMatchObject({ outcome: "exempt", consent: { outcome: "refused", fallback: "record-nothing" } });
    expect(got.reason).toMatch(/consent refused .*dtmf 2/);
  });
  it("the call ended before an answer: exempt", () => {
    expect(ledgerConsentOf(facts({ asked }))).toMatchObject({ outcome: "exempt" });
  });
  it("nothing asked: nothing to say", () => {
    expect(ledgerConsentOf(facts({}))).toEqual({});
  });
});

describe("planCall with consent", () => {
  const session = (changes: Partial<CallSession>): CallSession =>
    sessionOf({
      started: true,
      callConnectionId: "conn-1",
      ownConnectionId: "conn-1",
      connectedConnections: ["conn-1"],
      ...changes,
    });
  const steps = (s: CallSession, consent?: CallConsent) =>
    planCall(s, recordDecision(), undefined, undefined, consent).jobs.map((j) => j.name);

  it("without consent: start recording and arm the deadline at once", () => {
    expect(steps(session({}))).toEqual(["connect-call", "start-recording", "enforce-start"]);
  });
  it("consent required: ask, no start and no deadline yet", () => {
    expect(steps(session({}), consentDecision)).toEqual(["connect-call", "ask-consent"]);
  });
  it("consent given: start, and the deadline runs from now", () => {
    const given = session({ consentAsked: JSON.stringify(asked), consentAnswer: answer("given") });
    expect(steps(given)).toEqual(["connect-call", "start-recording", "enforce-start"]);
  });
  it("refused: the fallback, never a start", () => {
    const refused = session({ consentAsked: JSON.stringify(asked), consentAnswer: answer("refused") });
    expect(steps(refused)).toEqual(["connect-call", "consent-fallback"]);
  });
  it("notice: announce first, start once played", () => {
    expect(steps(session({}), noticeDecision)).toEqual(["connect-call", "play-announcement"]);
    const played = session({ consentAsked: JSON.stringify(noticeAsked), consentAnswer: answer("notified") });
    expect(steps(played)).toEqual(["connect-call", "start-recording", "enforce-start"]);
  });
});

describe("timeToRecordOrigin with consent", () => {
  const seen = { startedSeenAt: "2026-12-04T10:00:00.100Z", rangSeenAt: undefined };
  it("a call that waited for consent measures from the answer's arrival, not from CallStarted", () => {
    const given = answer("given", { seenAt: "2026-12-04T10:00:06.000Z" });
    expect(timeToRecordOrigin({ ...seen, consentAnswer: given })).toEqual({
      seenAt: "2026-12-04T10:00:06.000Z",
      seenVia: "consent",
    });
  });
  it("no consent answer (or no consent): from CallStarted as before", () => {
    expect(timeToRecordOrigin(seen)).toEqual({ seenAt: seen.startedSeenAt, seenVia: "call-started" });
    expect(timeToRecordOrigin({ ...seen, consentAnswer: answer("refused", { seenAt: "x" }) })).toMatchObject({
      seenVia: "call-started",
    });
  });
});

describe("whom the prompt is for (decideConsent ask)", () => {
  const TEXAS = "4:+12145550100";
  const AGENT = "8:acs:r_agent-in-california";
  // Our Californian agent decided; the Texan customer is the one outside the team.
  const agentDecides = { ...consentDecision, decidedBy: { ...decidedBy, party: AGENT }, ask: [TEXAS] } as CallConsent;
  it("asks the first person outside the recording teams, not the member who decided", () => {
    expect(consentGate(facts({ connection: "c" }), agentDecides)).toMatchObject({
      kind: "ask",
      asked: { target: TEXAS, decidedBy: { party: AGENT } },
    });
  });
  it("nobody outside the teams on the call: nobody to ask, recording goes ahead", () => {
    expect(consentGate(facts({ connection: "c" }), { ...agentDecides, ask: [] } as CallConsent).kind).toBe("open");
  });
  it("a second person outside the teams is asked once the first has consented (all-party consent), not alerted", () => {
    const two = { ...agentDecides, ask: [TEXAS, PHONE] } as CallConsent;
    const askedTexas = { ...asked, target: TEXAS };
    expect(consentGate(facts({ asked: askedTexas, connection: "c" }), two)).toMatchObject({ kind: "waiting" });
    expect(consentGate(facts({ asked: askedTexas, answer: answer("given"), connection: "c" }), two)).toMatchObject({
      kind: "ask",
      asked: { target: PHONE },
    });
  });
});
