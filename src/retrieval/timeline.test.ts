import { describe, expect, it } from "vitest";
import { audioOffset, buildTimeline, presenceChanges, type TimelineFacts } from "./timeline.js";

const T0 = Date.parse("2026-12-04T10:00:00.000Z");
const t = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const ALICE = "8:acs:r_alice";
const BOB = "8:acs:r_bob";
const CUSTOMER = "4:+447700900123";

/** Recording from 10 s, 60 s of audio, paused 20–30 s and 40–45 s (wall): it ends at 10 + 60 + 15 = 85 s. */
const recorded: Pick<TimelineFacts, "recording" | "pauses"> = {
  recording: { startTime: t(10), durationMs: 60_000 },
  pauses: [
    { startTime: t(40), durationMs: 5_000 },
    { startTime: t(20), durationMs: 10_000 },
  ],
};

describe("where a moment is in the audio", () => {
  it.each([
    [5, null], // before the recording
    [10, 0],
    [15, 5_000],
    [20, 10_000], // a pause starts
    [25, 10_000], // inside it: where it began
    [30, 10_000], // it ends: the audio goes on from there
    [35, 15_000],
    [42, 20_000],
    [50, 25_000],
    [85, 60_000], // the last sample
    [86, null], // past the audio
  ])("%s s → %s ms", (seconds, offset) => expect(audioOffset(recorded, t(seconds))).toBe(offset));
});

describe("joins and leaves", () => {
  it.each([
    [
      "Event Grid's changes as they are",
      [
        { source: "event-grid" as const, change: "joined" as const, participant: ALICE, at: t(1) },
        { source: "event-grid" as const, change: "left" as const, participant: ALICE, at: t(50) },
      ],
      [
        ["joined", ALICE, 1],
        ["left", ALICE, 50],
      ],
    ],
    [
      "the differences between lists, in time order whatever the order given",
      [
        { source: "connection" as const, participants: [ALICE, CUSTOMER], at: t(12) },
        { source: "participant-list" as const, participants: [ALICE], at: t(2) },
        { source: "connection" as const, participants: [ALICE], at: t(60) },
      ],
      [
        ["joined", ALICE, 2],
        ["joined", CUSTOMER, 12],
        ["left", CUSTOMER, 60],
      ],
    ],
    [
      "a participant Event Grid names is not read from the lists too",
      [
        { source: "event-grid" as const, change: "joined" as const, participant: BOB, at: t(3) },
        { source: "connection" as const, participants: [BOB, CUSTOMER], at: t(4) },
        { source: "connection" as const, participants: [], at: t(70) },
      ],
      [
        ["joined", BOB, 3],
        ["joined", CUSTOMER, 4],
        ["left", CUSTOMER, 70],
      ],
    ],
    [
      "someone Event Grid only saw leave joined when a list first showed them",
      [
        { source: "participant-list" as const, participants: [ALICE, CUSTOMER], at: t(2) },
        { source: "event-grid" as const, change: "left" as const, participant: ALICE, at: t(50) },
      ],
      [
        ["joined", CUSTOMER, 2],
        ["joined", ALICE, 2],
        ["left", ALICE, 50],
      ],
    ],
    [
      "…and no join is made up when no list showed them",
      [{ source: "event-grid" as const, change: "left" as const, participant: ALICE, at: t(50) }],
      [["left", ALICE, 50]],
    ],
  ])("%s", (_, presence, expected) => {
    expect(presenceChanges(presence).map((c) => [c.change, c.participant, (Date.parse(c.at) - T0) / 1000])).toEqual(
      expected,
    );
  });
});

describe("the timeline of a call", () => {
  const facts: TimelineFacts = {
    ...recorded,
    recording: { ...recorded.recording, endedBy: undefined },
    call: {
      startedAt: t(0),
      endedAt: t(90),
      announcement: { status: "played" },
      presence: [
        { source: "event-grid", change: "joined", participant: ALICE, at: t(0) },
        { source: "connection", participants: [ALICE, CUSTOMER], at: t(8) },
        { source: "connection", participants: [ALICE], at: t(88) },
      ],
    },
    actions: [
      { at: t(9), trigger: "deadline", action: "alert", reason: "recording not active 8 s after the call started" },
    ],
    requests: [
      { at: t(19.5), actor: "agent-carol", action: "recording:pause", reason: "card-capture", outcome: "accepted" },
      { at: t(29.8), actor: "agent-carol", action: "recording:resume", outcome: "accepted" },
      { at: t(39), actor: "mallory", action: "recording:pause", reason: "refused-one", outcome: "refused" },
    ],
  };
  const brief = (f: TimelineFacts) =>
    buildTimeline(f).map((e) => [
      e.kind,
      e.at === null ? null : (Date.parse(e.at) - T0) / 1000,
      e.audioMs,
      e.who ?? null,
      e.reason ?? null,
    ]);

  it("orders what we know and places it on the audio; pauses carry who asked and why", () => {
    expect(brief(facts)).toEqual([
      ["call-started", 0, null, null, null],
      ["joined", 0, null, ALICE, null],
      ["joined", 8, null, CUSTOMER, null],
      ["enforcement", 9, null, null, "recording not active 8 s after the call started"],
      ["recording-started", 10, 0, null, null],
      ["paused", 20, 10_000, "agent-carol", "card-capture"],
      ["resumed", 30, 10_000, "agent-carol", null],
      // A refused request is no reason for a pause: this one is ACS's or automatic.
      ["paused", 40, 20_000, null, null],
      ["resumed", 45, 20_000, null, null],
      ["recording-ended", 85, 60_000, null, null],
      ["left", 88, null, CUSTOMER, null],
      ["call-ended", 90, null, null, null],
      ["announcement", null, null, null, null],
    ]);
    const texts = buildTimeline(facts).map((e) => e.text);
    expect(texts).toContain("Recording paused for 10 s");
    expect(texts).toContain("Recording paused for 5 s (no request through the calls API matches it)");
    expect(texts).toContain("Recording announcement played (time not recorded)");
  });

  it("dates each announcement play, to everyone or to a joiner, once plays are kept by step", () => {
    const LATE = "4:+447700900002";
    const dated: TimelineFacts = {
      ...facts,
      call: {
        ...facts.call,
        announcements: {
          announce: { requestedAt: t(11), status: "played" },
          [`announce-to:${LATE}`]: { requestedAt: t(50), to: LATE, status: "failed", detail: "Action failed" },
        },
      },
    };
    const announcements = buildTimeline(dated).filter((e) => e.kind === "announcement");
    expect(
      announcements.map((e) => [(Date.parse(e.at ?? "") - T0) / 1000, e.audioMs, e.who ?? null, e.reason ?? null]),
    ).toEqual([
      [11, 1_000, null, null],
      // 40 s into the recording, less the 15 s paused before then.
      [50, 25_000, LATE, "Action failed"],
    ]);
    expect(announcements.map((e) => e.text)).toEqual([
      "Recording announcement to everyone: played",
      "Recording announcement to a joiner on their own leg: failed",
    ]);
  });

  it("marks a stop on purpose, and needs nothing but the manifest", () => {
    const stopped: TimelineFacts = {
      recording: {
        startTime: t(10),
        durationMs: 20_000,
        endedBy: { trigger: "request", by: "supervisor-dave", reason: "customer-objection", at: t(30) },
      },
      pauses: [],
    };
    expect(brief(stopped)).toEqual([
      ["recording-started", 10, 0, null, null],
      ["stopped", 30, 20_000, "supervisor-dave", "customer-objection"],
      ["recording-ended", 30, 20_000, null, null],
    ]);
  });

  it("does not match a pause to a request made long before it", () => {
    const late: TimelineFacts = {
      ...recorded,
      pauses: [{ startTime: t(20), durationMs: 1_000 }],
      requests: [
        { at: t(-60), actor: "agent", action: "recording:pause", reason: "card-capture", outcome: "accepted" },
      ],
    };
    expect(buildTimeline(late).find((e) => e.kind === "paused")?.who).toBeUndefined();
  });
  it("shows each party's consent question and answer, and a joiner's pause as waiting for their consent", () => {
    const JOINER = "4:+14155550199";
    const withConsent: TimelineFacts = {
      recording: { startTime: t(10), durationMs: 60_000 },
      // A joiner at 30 s: paused at once, asked at 30.4 s, consented at 36 s, resumed.
      pauses: [{ startTime: t(30.2), durationMs: 6_000 }],
      consent: {
        requirement: "consent",
        decidedBy: { party: CUSTOMER, jurisdiction: "US-CA", set: "all-party-consent" },
        target: JOINER,
        askedAt: t(2),
        outcome: "given",
        answeredAt: t(36),
        heard: "dtmf 1",
        parties: [
          { party: CUSTOMER, askedAt: t(2), outcome: "given", answeredAt: t(8), heard: "dtmf 1" },
          { party: JOINER, askedAt: t(30.4), outcome: "given", answeredAt: t(36), heard: 'speech "yes"' },
        ],
      },
    };
    expect(brief(withConsent)).toEqual([
      ["consent-asked", 2, null, CUSTOMER, "all-party-consent, US-CA"],
      ["consent-answered", 8, null, CUSTOMER, "dtmf 1"],
      ["recording-started", 10, 0, null, null],
      ["paused", 30.2, 20_200, JOINER, "waiting for consent"],
      ["consent-asked", 30.4, 20_200, JOINER, "all-party-consent, US-CA"],
      ["consent-answered", 36, 20_200, JOINER, 'speech "yes"'],
      ["resumed", 36.2, 20_200, null, null],
      ["recording-ended", 76, 60_000, null, null],
    ]);
    const texts = buildTimeline(withConsent).map((e) => e.text);
    expect(texts).toContain("Recording paused for 6 s while a party who joined was asked for consent");
    expect(texts.filter((text) => text === "Consent given")).toHaveLength(2);
  });

  it("shows a notice, and one party's refusal from the flat fields", () => {
    const notice = buildTimeline({
      ...recorded,
      pauses: [],
      consent: {
        requirement: "notice",
        decidedBy: { party: CUSTOMER, jurisdiction: "GB", set: "notice" },
        askedAt: t(5),
        outcome: "notified",
        answeredAt: t(9),
      },
    });
    expect(notice.filter((e) => e.kind.startsWith("consent")).map((e) => [e.kind, e.text])).toEqual([
      ["consent-asked", "Recording notice announced"],
      ["consent-answered", "Recording notice played"],
    ]);
    const refused = buildTimeline({
      ...recorded,
      pauses: [],
      consent: {
        requirement: "consent",
        decidedBy: { party: CUSTOMER, jurisdiction: "US-FL", set: "all-party-consent" },
        target: CUSTOMER,
        askedAt: t(2),
        outcome: "refused",
        answeredAt: t(6),
        heard: "dtmf 2",
      },
    });
    expect(refused.filter((e) => e.kind === "consent-answered").map((e) => [e.who, e.text, e.reason])).toEqual([
      [CUSTOMER, "Consent refused", "dtmf 2"],
    ]);
  });
});
