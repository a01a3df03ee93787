import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CallConsent } from "../policy/index.js";
import type { CallSession, ConsentAnswer, ConsentAsked, ConsentFallback, PauseState } from "../sessions/index.js";
import { connectedCallOf, recordDecision, type RecordingAt } from "../sessions/test-fixtures.js";
import { consentAskOf, consentDecisionOf, type ConsentAsk as Ask } from "./test-fixtures.js";
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
const consentDecision = ([onRefusal, onSilence]: [ConsentFallback, ConsentFallback], ask = [L, C]) =>
  consentDecisionOf({ decidedBy: californian, ask, onRefusal, onSilence });
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
const askOf = (target: string, at: string, [onRefusal, onSilence]: [ConsentFallback, ConsentFallback]) =>
  consentAskOf({ at, decidedBy: californian, target, parties: [L, C], afterNotice: NOTICE_AT, onRefusal, onSilence });
const said = (outcome: ConsentAnswer["outcome"], at: string) => JSON.stringify({ outcome, at, seenAt: at });
const ourPause: PauseState = { at: "2026-12-04T10:01:00.100Z", by: CONSENT_PAUSE_BY, reason: "joiner" };
const NOTHING: [ConsentFallback, ConsentFallback] = ["record-nothing", "end-call"];

type Answers = Partial<Record<typeof L | typeof C, ConsentAnswer["outcome"] | "asked">>;

/** The call after the notice played to L, recording (or not); each party's ask and answer as given. */
function call(answers: Answers = {}, recording: RecordingAt = { id: "rec-1" }, fallbacks = NOTHING): CallSession {
  const parties = Object.fromEntries(
    Object.entries(answers).map(([party, outcome], i) => [
      party,
      {
        asked: JSON.stringify(askOf(party, `2026-12-04T10:01:0${i + 1}Z`, fallbacks)),
        ...(outcome !== "asked" ? { answer: said(outcome, `2026-12-04T10:01:0${i + 5}Z`) } : {}),
      },
    ]),
  );
  return connectedCallOf(recording, {
    consentAsked: JSON.stringify(notice),
    consentAnswer: said("notified", "2026-12-04T10:00:04Z"),
    ...(Object.keys(parties).length > 0 ? { consentParties: parties } : {}),
  });
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

describe("any order of the same facts, any redelivery: pause once, each asked once in turn, resume (or stop) once", () => {
  /**
   * A small world: the notice was played to L and the start is claimed. Events (C joins, ACS names the recording, L
   * and C answer once asked) come in any order, interleaved with the jobs the plans queued, and each plan may be
   * evaluated again (a redelivery). A step is claimed once (as the store's HSETNX does), its job queued then.
   */
  function run(order: number[], answer: "given" | "refused") {
    let session: CallSession = call({}, { starting: true });
    let consent = noticeDecision;
    const claimed = new Set<string>();
    const queued: { step: string; name: string; payload: unknown }[] = [];
    const ran: string[] = [];
    const plan = () => {
      for (const job of planCall(session, recordDecision(), undefined, undefined, consent).jobs)
        if (!claimed.has(job.step)) {
          claimed.add(job.step);
          queued.push(job);
        }
    };
    const facts = (party: string) => session.consentParties?.[party];
    const put = (party: string, field: "asked" | "answer", raw: string) => {
      session = {
        ...session,
        consentParties: { ...session.consentParties, [party]: { ...facts(party), [field]: raw } },
      };
    };
    const answers = (party: string, outcome: "given" | "refused") => () =>
      facts(party)?.asked !== undefined &&
      facts(party)?.answer === undefined &&
      (put(party, "answer", said(outcome, "2026-12-04T10:01:09Z")), true);
    const actions: (() => boolean)[] = [
      // C comes on the call: consent is now required.
      () => consent === noticeDecision && ((consent = consentDecision(NOTHING)), true),
      // ACS names the recording.
      () =>
        session.recordingId === undefined &&
        ((session = { ...call({}, { id: "rec-1" }), consentParties: session.consentParties, pause: session.pause }),
        true),
      answers(L, "given"),
      answers(C, answer),
      // The oldest queued job runs.
      () => {
        const job = queued.shift();
        if (!job) return false;
        ran.push(job.name === "ask-consent" ? `ask ${job.step}` : job.name);
        if (job.name === "pause-recording") session = { ...session, pause: ourPause };
        if (job.name === "resume-recording") session = { ...session, pause: undefined };
        if (job.name === "ask-consent") {
          const { asked } = job.payload as { asked: Omit<Ask, "at"> };
          put(asked.target, "asked", JSON.stringify({ ...asked, at: `2026-12-04T10:01:0${ran.length}Z` }));
        }
        if (job.name === "stop-recording")
          session = {
            ...session,
            pause: undefined,
            stops: { "rec-1": { recordingId: "rec-1", trigger: "request", by: `consent:${C}`, reason: "r", at: "t" } },
          };
        return true;
      },
      // A redelivery: the same facts planned again.
      () => true,
    ];
    for (const i of order) if (actions[i % actions.length]?.()) plan();
    for (let guard = 0; guard < 50 && actions.slice(0, 5).some((act) => act() && (plan(), true)); guard++);
    return { ran, session };
  }

  it.each(["given", "refused"] as const)("C %s: every order ends the same way", (answer) => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 30 }), (order) => {
        const { ran, session } = run(order, answer);
        const consentJobs = ran.filter((name) => !["start-recording", "enforce-start", "connect-call"].includes(name));
        expect(consentJobs).toEqual(
          answer === "given"
            ? ["pause-recording", `ask ask-consent:${L}`, `ask ask-consent:${C}`, "resume-recording"]
            : ["pause-recording", `ask ask-consent:${L}`, `ask ask-consent:${C}`, "stop-recording", "consent-fallback"],
        );
        expect(session.pause).toBeUndefined();
        // Every question went on record as one asked after the notice, the Californian rule's.
        for (const party of [L, C])
          expect(JSON.parse(session.consentParties?.[party]?.asked ?? "{}")).toMatchObject({
            afterNotice: NOTICE_AT,
            decidedBy: californian,
          });
      }),
    );
  });
});
