import { describe, expect, it } from "vitest";
import type { CallConsent } from "../policy/index.js";
import type { CallSession } from "../sessions/index.js";
import { recordDecision, sessionOf as emptySession, skipDecision } from "../sessions/test-fixtures.js";
import {
  announcementContextOf,
  announcementJobs,
  announcementStepOf,
  ANNOUNCEMENT_CONTEXT,
  presentAt,
  toEveryoneStepOf,
} from "./announce.js";
import { planCall } from "./plan.js";
import type { PresenceObservation } from "./scope.js";

const ALICE = "8:acs:r_alice"; // the desk's member
const CUSTOMER = "4:+447700900001";
const LATE = "4:+447700900002"; // joins after the announcement
const announced = recordDecision({ announcement: { text: "This call is recorded." }, inScope: [ALICE] });

const T0 = "2026-12-04T10:00:00.000Z"; // the call's first participant list
const T1 = "2026-12-04T10:00:05.000Z"; // the first recording announced to everyone
const T2 = "2026-12-04T10:00:09.000Z"; // someone joins
const T3 = "2026-12-04T10:01:00.000Z"; // the second recording announced to everyone
const T4 = "2026-12-04T10:01:30.000Z";

const list = (at: string, sequenceNumber: number, ...participants: string[]): PresenceObservation => ({
  source: "connection",
  callConnectionId: "conn",
  sequenceNumber,
  participants,
  at,
});
const joined = (participant: string, at: string): PresenceObservation => ({
  source: "event-grid",
  change: "joined",
  participant,
  at,
});
const left = (participant: string, at: string): PresenceObservation => ({
  source: "event-grid",
  change: "left",
  participant,
  at,
});

const active = { state: "active" as const, at: 1, initial: false, failed: false, source: "event" as const };
const stopped = { state: "inactive" as const, at: 2, initial: false, failed: false, source: "event" as const };

/** A call recorded on our connection, recording `rec-1` active, with whatever facts a row needs. */
const sessionOf = (facts: Partial<CallSession> = {}): CallSession =>
  emptySession({
    participants: [ALICE, CUSTOMER],
    started: true,
    callConnectionId: "conn",
    ownConnectionId: "conn",
    connectedConnections: ["conn"],
    recordingId: "rec-1",
    recordingState: "active",
    recordings: { "rec-1": active },
    recordingVersion: 1,
    presence: [list(T0, 1, ALICE, CUSTOMER)],
    ...facts,
  });

const firstAsked = { announce: { requestedAt: T1 } };
const ids = { serverCallId: "call-1", correlationId: "corr-1", callConnectionId: "conn" };
const announcement = { text: "This call is recorded." };
const toParty = (party: string) => ({
  step: `announce-to:${party}`,
  name: "play-announcement",
  payload: { ...ids, announcement, playTo: party },
});
const stepsOf = (session: CallSession, consent?: CallConsent) =>
  announcementJobs(session, announced, consent).map((job) => job.step);

describe("announcementJobs: joiners", () => {
  it.each([
    {
      name: "the first announcement not asked yet: it is the one that tells everyone, nobody is told alone",
      session: sessionOf({ presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE)] }),
      steps: [],
    },
    {
      name: "everyone was there when it was asked: nothing more",
      session: sessionOf({ announcements: firstAsked }),
      steps: [],
    },
    {
      name: "a customer joins after it was asked: told on their own leg",
      session: sessionOf({
        announcements: firstAsked,
        presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE)],
      }),
      steps: [`announce-to:${LATE}`],
    },
    {
      name: "a member who joins after it is told too (everyone who was not there)",
      session: sessionOf({
        announcements: firstAsked,
        presence: [list(T0, 1, CUSTOMER), list(T2, 2, ALICE, CUSTOMER)],
      }),
      steps: [`announce-to:${ALICE}`],
    },
    {
      name: "a join ACS dated before the announcement, delivered after it: they heard it",
      session: sessionOf({
        announcements: firstAsked,
        presence: [list(T0, 1, ALICE, CUSTOMER), list("2026-12-04T10:00:01.000Z", 2, ALICE, CUSTOMER, LATE)],
      }),
      steps: [],
    },
    {
      name: "the same list delivered twice (a redelivery): still one joiner",
      session: sessionOf({
        announcements: firstAsked,
        presence: [
          list(T0, 1, ALICE, CUSTOMER),
          list(T2, 2, ALICE, CUSTOMER, LATE),
          list(T2, 2, ALICE, CUSTOMER, LATE),
        ],
      }),
      steps: [`announce-to:${LATE}`],
    },
    {
      name: "an app or bot (28:) on the call hears nothing: not told",
      session: sessionOf({
        announcements: firstAsked,
        presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, "28:acs:some-bot")],
      }),
      steps: [],
    },
    {
      name: "the joiner's play already asked of ACS: not planned again",
      session: sessionOf({
        announcements: { ...firstAsked, [`announce-to:${LATE}`]: { requestedAt: T2, to: LATE } },
        presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE)],
      }),
      steps: [],
    },
    {
      name: "the joiner left again before being told: nobody to tell",
      session: sessionOf({
        announcements: firstAsked,
        presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE), list(T3, 3, ALICE, CUSTOMER)],
      }),
      steps: [],
    },
    {
      name: "the customer left before it was asked and came back after: told on their own leg",
      session: sessionOf({
        announcements: firstAsked,
        presence: [
          list(T0, 1, ALICE, CUSTOMER),
          list("2026-12-04T10:00:04.000Z", 2, ALICE),
          list(T2, 3, ALICE, CUSTOMER),
        ],
      }),
      steps: [`announce-to:${CUSTOMER}`],
    },
    {
      name: "the customer who heard it leaves and comes back: not told again",
      session: sessionOf({
        announcements: firstAsked,
        presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE), list(T3, 3, ALICE, CUSTOMER)],
      }),
      steps: [],
    },
  ])("$name", ({ session, steps }) => {
    expect(stepsOf(session)).toEqual(steps);
  });

  it("the joiner's job plays to them only, on our connection", () => {
    const session = sessionOf({
      announcements: firstAsked,
      presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE)],
    });
    expect(announcementJobs(session, announced)).toMatchObject([toParty(LATE)]);
  });

  it.each([
    { name: "no announcement in the policy", decision: recordDecision({ inScope: [ALICE] }), session: {} },
    { name: "not recorded", decision: skipDecision, session: {} },
    { name: "recording inactive", decision: announced, session: { recordingState: "inactive" as const } },
    { name: "the call ended", decision: announced, session: { ended: true } },
    { name: "not connected", decision: announced, session: { callConnectionId: undefined } },
    {
      name: "consent was asked: the consent flow asks joiners",
      decision: announced,
      session: { consentAsked: JSON.stringify({ requirement: "consent" }) },
    },
  ])("nothing when $name", ({ decision, session }) => {
    const facts = sessionOf({
      announcements: firstAsked,
      presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE)],
      ...session,
    });
    expect(announcementJobs(facts, decision)).toEqual([]);
  });

  it("nothing for joiners when the call's consent decision requires consent or a notice (the consent flow's)", () => {
    const session = sessionOf({
      announcements: firstAsked,
      presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE)],
    });
    const consent = { requirement: "notice" } as unknown as CallConsent;
    expect(stepsOf(session, consent)).toEqual([]);
    expect(stepsOf(session, { requirement: "none" } as unknown as CallConsent)).toEqual([`announce-to:${LATE}`]);
  });
});

describe("announcementJobs: a joiner on a call whose notice was played", () => {
  const notice = { text: "This call is recorded, as UK law requires us to tell you.", locale: "en-GB" };
  const noticeAsked = JSON.stringify({
    requirement: "notice",
    at: T1,
    decidedBy: { party: CUSTOMER, jurisdiction: "GB" },
    announcement: notice,
    explanation: "GB: notice",
  });
  const answered = (outcome: string) => JSON.stringify({ outcome, at: T1 });
  const noticeCall = { requirement: "notice" } as unknown as CallConsent;
  const consentCall = { requirement: "consent" } as unknown as CallConsent;
  const joinerFacts = {
    announcements: firstAsked,
    presence: [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, ALICE, CUSTOMER, LATE)],
    consentAsked: noticeAsked,
  };
  const withoutAnnouncement = recordDecision({ inScope: [ALICE] });

  it.each([
    { name: "the notice played: the joiner hears it", answer: answered("notified"), consent: noticeCall, told: true },
    { name: "the notice not reported played yet: nothing yet", answer: undefined, consent: noticeCall, told: false },
    {
      name: "the notice failed (the consent fallback acts): nothing",
      answer: answered("notice-failed"),
      consent: noticeCall,
      told: false,
    },
    {
      name: "consent required since (someone from an all-party state joined): the consent flow asks instead",
      answer: answered("notified"),
      consent: consentCall,
      told: false,
    },
    {
      name: "nothing required any more (the party who needed it left): the joiner still hears what everyone heard",
      answer: answered("notified"),
      consent: { requirement: "none" } as unknown as CallConsent,
      told: true,
    },
  ])("$name", ({ answer, consent, told }) => {
    const session = sessionOf({ ...joinerFacts, consentAnswer: answer });
    const expected = told ? [{ ...toParty(LATE), payload: { ...ids, announcement: notice, playTo: LATE } }] : [];
    // The words played are the notice on record, with or without an announcement of the policy's own.
    expect(announcementJobs(session, announced, consent)).toEqual(expected.map((job) => expect.objectContaining(job)));
    expect(announcementJobs(session, withoutAnnouncement, consent)).toEqual(
      expected.map((job) => expect.objectContaining(job)),
    );
  });

  it("a notice on its way (the decision is a notice, nothing asked yet) tells everyone: nobody alone", () => {
    const session = sessionOf({ ...joinerFacts, consentAsked: undefined });
    expect(announcementJobs(session, announced, noticeCall)).toEqual([]);
  });

  it("the joiner's notice is planned once, and not again once it is asked of ACS", () => {
    const session = sessionOf({ ...joinerFacts, consentAnswer: answered("notified") });
    expect(announcementJobs(session, withoutAnnouncement, noticeCall).map((job) => job.step)).toEqual([
      `announce-to:${LATE}`,
    ]);
    const asked = sessionOf({
      ...joinerFacts,
      consentAnswer: answered("notified"),
      announcements: { ...firstAsked, [`announce-to:${LATE}`]: { requestedAt: T3, to: LATE } },
    });
    expect(announcementJobs(asked, withoutAnnouncement, noticeCall)).toEqual([]);
  });
});

describe("announcementJobs: a second recording after a stop by scope", () => {
  const scopeStop = {
    "rec-1": { recordingId: "rec-1", trigger: "scope" as const, by: "scope", reason: "nobody in scope", at: T2 },
  };
  const restarted = {
    recordingId: "rec-2",
    recordings: { "rec-1": stopped, "rec-2": active },
    stops: scopeStop,
  };
  const presence = [list(T0, 1, ALICE, CUSTOMER), list(T2, 2, CUSTOMER), list(T3, 3, ALICE, CUSTOMER, LATE)];

  it("the new recording is announced to everyone once active, and nobody alone until then", () => {
    const session = sessionOf({ ...restarted, presence, announcements: firstAsked });
    expect(announcementJobs(session, announced)).toMatchObject([
      { step: "announce:rec-2", name: "play-announcement", payload: { ...ids, announcement, recordingId: "rec-2" } },
    ]);
  });

  it("once it is asked, everyone then on the call heard it; a later joiner is told alone", () => {
    const asked = { ...firstAsked, "announce:rec-2": { requestedAt: T3 } };
    expect(stepsOf(sessionOf({ ...restarted, presence, announcements: asked }))).toEqual(["announce:rec-2"]);
    const later = "8:acs:r_later";
    expect(
      stepsOf(
        sessionOf({
          ...restarted,
          presence: [...presence, list(T4, 4, ALICE, CUSTOMER, LATE, later)],
          announcements: asked,
        }),
      ),
    ).toEqual(["announce:rec-2", `announce-to:${later}`]);
  });

  it("the first recording keeps its `announce` step; a stop on request is not a new recording's", () => {
    expect(toEveryoneStepOf(sessionOf(), "rec-1")).toBe("announce");
    expect(toEveryoneStepOf(sessionOf({ stops: scopeStop }), "rec-2")).toBe("announce:rec-2");
    expect(toEveryoneStepOf(sessionOf({ stops: scopeStop }), "rec-1")).toBe("announce");
  });

  it("a recording being stopped (its stop on record) is not announced", () => {
    const stopping = { ...scopeStop, "rec-2": { ...scopeStop["rec-1"], recordingId: "rec-2" } };
    expect(stepsOf(sessionOf({ ...restarted, stops: stopping, presence, announcements: firstAsked }))).toEqual([]);
  });

  it("planCall claims the new recording's announcement once, after the scope's own steps", () => {
    const session = sessionOf({ ...restarted, presence, announcements: firstAsked });
    const plan = planCall(session, announced);
    expect(plan.claims.filter((step) => step.startsWith("announce"))).toEqual(["announce", "announce:rec-2"]);
  });
});

describe("operationContext of each play", () => {
  it.each(["announce", "announce:rec-2", `announce-to:${LATE}`] as const)("%s round-trips", (step) => {
    expect(announcementStepOf(announcementContextOf(step))).toBe(step);
  });

  it("the first recording's context is as it always was; anything else is not ours", () => {
    expect(announcementContextOf("announce")).toBe(ANNOUNCEMENT_CONTEXT);
    for (const other of [undefined, "consent", `${ANNOUNCEMENT_CONTEXT}:`, `${ANNOUNCEMENT_CONTEXT}:announce:`, "x"])
      expect(announcementStepOf(other)).toBeUndefined();
  });
});

describe("presentAt", () => {
  it("who was on the call by a moment, from what ACS dated by then", () => {
    const presence = [joined(ALICE, T0), joined(CUSTOMER, T0), joined(LATE, T2), left(CUSTOMER, T3)];
    expect([...presentAt(presence, T1)].sort()).toEqual([CUSTOMER, ALICE].sort());
    expect([...presentAt(presence, T4)].sort()).toEqual([ALICE, LATE].sort());
  });
});
