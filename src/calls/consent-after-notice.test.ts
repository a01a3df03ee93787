import { describe, expect, it } from "vitest";
import type { CallConsent } from "../policy/index.js";
import type { CallSession, ConsentAnswer, ConsentAsked, ConsentFallback, PauseState } from "../sessions/index.js";
import { recordDecision } from "../sessions/test-fixtures.js";
import { CONSENT_PAUSE_BY, consentGate, consentRecordOf, isFurtherParty, ledgerConsentOf } from "./consent.js";
import { planCall } from "./plan.js";

// Consent required after a notice was played (docs/consent-flow.md "Consent after a notice"): a London customer L was
// told (the notice played, the recording running), then a Californian C joins. The strictest party decides for the
// whole call (docs/consent.md): everyone outside the recording teams — C and L, who was only told — is asked, one at
// a time, after the recording was paused; it is resumed once all consented; the now-strictest rule's fallback
// applies on a refusal or silence.

const L = "4:+442071838750";
const C = "4:+14155550101";
const NOTICE_AT = "2026-12-04T10:00:01Z";
const notice: ConsentAsked = {
  requirement: "notice",
  at: NOTICE_AT,
  decidedBy: { party: L, jurisdiction: "GB", set: "notice" },
  announcement: { text: "This call is recorded.", locale: "en-GB" },
  explanation: "UK: notice",
};
const californian = { party: C, jurisdiction: "US-CA", set: "all-party-consent" };
const consentDecision = (fallbacks: [ConsentFallback, ConsentFallback], ask = [L, C]): CallConsent => ({
  ruleId: "r",
  teamId: "t",
  parties: [],
  unhandled: [],
  explanation: "California: all-party consent",
  requirement: "consent",
  decidedBy: { ...californian, source: "phone-number" },
  ask,
  prompt: { text: "Press 1 to agree.", locale: "en-US" },
  accept: { dtmf: ["1"], speech: [] },
  timeoutSeconds: 8,
  onRefusal: fallbacks[0],
  onSilence: fallbacks[1],
});
const noticeDecision: CallConsent = {
  ruleId: "r",
  teamId: "t",
  parties: [],
  unhandled: [],
  explanation: "UK: notice",
  requirement: "notice",
  decidedBy: { ...notice.decidedBy, source: "phone-number" },
  announcement: { text: "This call is recorded.", locale: "en-GB" },
};
type Ask = Extract<ConsentAsked, { requirement: "consent" }>;
const askOf = (target: string, at: string, fallbacks: [ConsentFallback, ConsentFallback]): Ask => ({
  requirement: "consent",
  at,
  decidedBy: californian,
  target,
  parties: [L, C],
  afterNotice: NOTICE_AT,
  prompt: { text: "Press 1 to agree.", locale: "en-US" },
  accept: { dtmf: ["1"], speech: [] },
  timeoutSeconds: 8,
  onRefusal: fallbacks[0],
  onSilence: fallbacks[1],
  explanation: "California: all-party consent",
});
const said = (outcome: ConsentAnswer["outcome"], at: string) => JSON.stringify({ outcome, at, seenAt: at });
const ourPause: PauseState = { at: "2026-12-04T10:01:00.100Z", by: CONSENT_PAUSE_BY, reason: "joiner" };
const NOTHING: [ConsentFallback, ConsentFallback] = ["record-nothing", "end-call"];

type Answers = Partial<Record<typeof L | typeof C, ConsentAnswer["outcome"] | "asked">>;

/** The call after the notice played to L, recording (or not); each party's ask and answer as given. */
function call(
  answers: Answers = {},
  recording: { id?: string; starting?: boolean; pause?: PauseState; stopped?: boolean } = { id: "rec-1" },
  fallbacks = NOTHING,
): CallSession {
  const { id } = recording;
  const parties = Object.fromEntries(
    Object.entries(answers).map(([party, outcome], i) => [
      party,
      {
        asked: JSON.stringify(askOf(party, `2026-12-04T10:01:0${i + 1}Z`, fallbacks)),
        ...(outcome !== "asked" ? { answer: said(outcome, `2026-12-04T10:01:0${i + 5}Z`) } : {}),
      },
    ]),
  );
  return {
    serverCallId: "call-1",
    correlationId: "corr-1",
    participants: [],
    caller: undefined,
    callee: undefined,
    startedAt: undefined,
    policySetHash: undefined,
    decision: undefined,
    announcement: undefined,
    startedSeenAt: undefined,
    rangSeenAt: undefined,
    recordingState: id ? "active" : undefined,
    rang: false,
    started: true,
    ended: false,
    callConnectionId: "conn-1",
    ownConnectionId: "conn-1",
    connectedConnections: ["conn-1"],
    recordings: id ? { [id]: { state: "active", at: 1, initial: false, failed: false, source: "event" } } : {},
    recordingId: id,
    presence: [],
    stops:
      id && recording.stopped ? { [id]: { recordingId: id, trigger: "request", by: "x", reason: "x", at: "t" } } : {},
    factsVersion: 1,
    recordingVersion: 0,
    restarts: 0,
    pause: recording.pause,
    ...(recording.starting || id ? { startClaimed: true } : {}),
    consentAsked: JSON.stringify(notice),
    consentAnswer: said("notified", "2026-12-04T10:00:04Z"),
    ...(Object.keys(parties).length > 0 ? { consentParties: parties } : {}),
  };
}

describe("the consent gate when consent becomes required after a notice", () => {
  it.each([
    ["the notice played, nobody requires consent: open", call(), noticeDecision, { kind: "open", resume: undefined }],
    [
      "C joins while recording: pause first (for the first to ask, L)",
      call(),
      consentDecision(NOTHING),
      { kind: "pause", party: L, recordingId: "rec-1" },
    ],
    [
      "paused by us: L (only told so far) is asked first, by the Californian rule, as a question after the notice",
      call({}, { id: "rec-1", pause: ourPause }),
      consentDecision(NOTHING),
      {
        kind: "ask",
        asked: {
          target: L,
          parties: [L, C],
          afterNotice: NOTICE_AT,
          decidedBy: californian,
          onRefusal: "record-nothing",
        },
      },
    ],
    [
      "L asked: wait",
      call({ [L]: "asked" }, { id: "rec-1", pause: ourPause }),
      consentDecision(NOTHING),
      { kind: "waiting" },
    ],
    [
      "L consents: C next",
      call({ [L]: "given" }, { id: "rec-1", pause: ourPause }),
      consentDecision(NOTHING),
      { kind: "ask", asked: { target: C, afterNotice: NOTICE_AT } },
    ],
    [
      "both consent: open, resume our pause",
      call({ [L]: "given", [C]: "given" }, { id: "rec-1", pause: ourPause }),
      consentDecision(NOTHING),
      { kind: "open", resume: { recordingId: "rec-1", pausedAt: ourPause.at } },
    ],
    [
      "L refuses under record-nothing: closed on the recording (stop), C never asked",
      call({ [L]: "refused" }, { id: "rec-1", pause: ourPause }),
      consentDecision(NOTHING),
      { kind: "closed", fallback: "record-nothing", party: L, recordingId: "rec-1" },
    ],
    [
      "C silent under end-call: closed, hang up",
      call({ [L]: "given", [C]: "silent" }, { id: "rec-1", pause: ourPause }),
      consentDecision(NOTHING),
      { kind: "closed", fallback: "end-call", party: C, recordingId: "rec-1" },
    ],
    [
      "the question on record decides: C left since L was asked, L's answer still awaited",
      call({ [L]: "asked" }, { id: "rec-1", pause: ourPause }),
      noticeDecision,
      { kind: "waiting" },
    ],
    [
      "C joins before any recording (the notice just played, no start claimed): L asked, nothing to pause",
      call({}, {}),
      consentDecision(NOTHING),
      { kind: "ask", asked: { target: L } },
    ],
    [
      "C joins in the start window: wait until the recording can be paused",
      call({}, { starting: true }),
      consentDecision(NOTHING),
      { kind: "waiting" },
    ],
    [
      "nobody outside the teams to ask: open",
      call(),
      consentDecision(NOTHING, []),
      { kind: "open", resume: undefined },
    ],
  ] as [string, CallSession, CallConsent, object][])("%s", (_name, session, consent, expected) => {
    const gate = consentGate(session, consent);
    expect(gate).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
    for (const [field, value] of Object.entries(expected))
      if (value === undefined) expect((gate as Record<string, unknown>)[field]).toBeUndefined();
  });

  it("every question after a notice is a further party's (its own step, its own operation context)", () => {
    expect(isFurtherParty(askOf(L, "t", NOTHING))).toBe(true);
    const { afterNotice: _notice, ...plain } = askOf(L, "t", NOTHING);
    expect(isFurtherParty(plain)).toBe(false);
  });
});

/** The consent steps a plan makes (connecting, starting and the deadline are claimed in every plan). */
const planned = (session: CallSession, consent: CallConsent) =>
  planCall(session, recordDecision(), undefined, undefined, consent)
    .jobs.filter((j) => !["connect-call", "start-recording", "enforce-start"].includes(j.name))
    .map((j) => [j.step, j.name]);

describe("what the plan does when consent becomes required after a notice", () => {
  it.each([
    ["C joins: pause once", call(), [[`consent-pause:${L}`, "pause-recording"]]],
    ["paused: ask L", call({}, { id: "rec-1", pause: ourPause }), [[`ask-consent:${L}`, "ask-consent"]]],
    [
      "L consented: ask C",
      call({ [L]: "given" }, { id: "rec-1", pause: ourPause }),
      [[`ask-consent:${C}`, "ask-consent"]],
    ],
    [
      "both consented: resume",
      call({ [L]: "given", [C]: "given" }, { id: "rec-1", pause: ourPause }),
      [[`consent-resume:${ourPause.at}`, "resume-recording"]],
    ],
    [
      "C refused: stop and put the action on record",
      call({ [L]: "given", [C]: "refused" }, { id: "rec-1", pause: ourPause }),
      [
        ["stop-recording:rec-1", "stop-recording"],
        ["consent-fallback", "consent-fallback"],
      ],
    ],
  ] as [string, CallSession, string[][]][])("%s", (_name, session, expected) => {
    expect(planned(session, consentDecision(NOTHING))).toEqual(expected);
  });

  it("no start before consent when nothing was recorded yet: the start waits for both", () => {
    const names = (session: CallSession) =>
      planCall(session, recordDecision(), undefined, undefined, consentDecision(NOTHING)).jobs.map((j) => j.name);
    const unstarted = { ...call({ [L]: "given" }, {}), startClaimed: false };
    expect(names(unstarted)).not.toContain("start-recording");
    expect(names({ ...call({ [L]: "given", [C]: "given" }, {}), startClaimed: false })).toContain("start-recording");
  });
});

describe("the evidence: the notice, then the questions and answers", () => {
  it("the record lists the notice first, then each question in the order asked; the Californian rule decided", () => {
    const record = consentRecordOf(call({ [L]: "given", [C]: "refused" }, { id: "rec-1", stopped: true }));
    expect(record).toMatchObject({
      requirement: "consent",
      decidedBy: californian,
      target: C,
      outcome: "refused",
      fallback: "record-nothing",
    });
    expect(record?.parties?.map((p) => [p.party, p.outcome, p.askedAt])).toEqual([
      [L, "notified", NOTICE_AT],
      [L, "given", "2026-12-04T10:01:01Z"],
      [C, "refused", "2026-12-04T10:01:02Z"],
    ]);
    expect(record?.summary).toMatch(/^notice for .* played at .*; then consent given by .*; consent refused by/);
  });

  it("a notice alone reads as before; a call with a recording is never exempt", () => {
    expect(consentRecordOf(call())?.parties).toBeUndefined();
    expect(consentRecordOf(call())?.requirement).toBe("notice");
    expect(ledgerConsentOf(call({ [L]: "refused" }, { id: "rec-1", stopped: true })).outcome).toBeUndefined();
    // Nothing recorded yet, and L refused: nothing may be recorded, so the entry is exempt.
    expect(ledgerConsentOf(call({ [L]: "refused" }, {})).outcome).toBe("exempt");
  });
});
