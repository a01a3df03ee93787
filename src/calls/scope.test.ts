import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scopeVerdict, type PresenceObservation, type ScopeVerdict } from "./scope.js";

// A group call: the regulated trader (ACS user, in scope), a client on the phone and a colleague in Teams
// (outside every team). Event Grid speaks of ACS users only; the lists of our connections name everyone
// (docs/acs-payloads.md "Participants: who is on the call, and who left").
const TRADER = "8:acs:r_trader";
const SECOND_TRADER = "8:acs:r_trader2";
const CLIENT = "4:+447700900123";
const COLLEAGUE = "8:orgid:colleague";
const PHONE_TRADER = "4:+442071234567";

const OURS = "conn-ours";
const OTHER = "conn-other";

/** Seconds into the call, as ACS writes times (seven fractional digits). */
const t = (seconds: number) =>
  new Date(Date.UTC(2026, 10, 23, 9, 0, 0) + seconds * 1000).toISOString().replace("Z", "0000+00:00");

const joined = (participant: string, at: number): PresenceObservation => ({
  source: "event-grid",
  change: "joined",
  participant,
  at: t(at),
});
const left = (participant: string, at: number): PresenceObservation => ({
  source: "event-grid",
  change: "left",
  participant,
  at: t(at),
});
const list = (callConnectionId: string, sequenceNumber: number | undefined, at: number, ...participants: string[]) =>
  ({
    source: "connection",
    callConnectionId,
    ...(sequenceNumber === undefined ? {} : { sequenceNumber }),
    participants,
    at: t(at),
  }) as PresenceObservation;
const asked = (at: number, ...participants: string[]): PresenceObservation => ({
  source: "participant-list",
  participants,
  at: t(at),
});

const verdict = (
  observations: PresenceObservation[],
  inScope = [TRADER],
  until: "call-end" | "last-in-scope-leaves" = "last-in-scope-leaves",
) => scopeVerdict({ observations, until, inScope });
const short = (v: ScopeVerdict) => `${v.want} ${v.reason}`;

interface Case {
  name: string;
  observations: PresenceObservation[];
  inScope?: string[];
  until?: "call-end" | "last-in-scope-leaves";
  expect: string;
  inScopePresent?: string[];
}

const cases: Case[] = [
  {
    name: "nothing observed yet: the decision's in-scope participants count as on the call",
    observations: [],
    expect: "record in-scope-not-observed",
    inScopePresent: [TRADER],
  },
  {
    name: "the trader joined (Event Grid) and is on our connection's list",
    observations: [joined(TRADER, 0), list(OURS, 1, 1, TRADER, CLIENT, COLLEAGUE)],
    expect: "record in-scope-present",
    inScopePresent: [TRADER],
  },
  {
    name: "the trader leaves: CallParticipantRemoved and a list without them agree",
    observations: [
      joined(TRADER, 0),
      list(OURS, 1, 1, TRADER, CLIENT, COLLEAGUE),
      left(TRADER, 60),
      list(OURS, 3, 60.1, CLIENT, COLLEAGUE),
    ],
    expect: "stop no-in-scope-present",
    inScopePresent: [],
  },
  {
    name: "the trader leaves, but our list still names them (its update not here yet): confirm",
    observations: [joined(TRADER, 0), list(OURS, 1, 1, TRADER, CLIENT, COLLEAGUE), left(TRADER, 60)],
    expect: "confirm sources-disagree",
  },
  {
    name: "a list without the trader, but no Event Grid leave yet: confirm",
    observations: [joined(TRADER, 0), list(OURS, 1, 1, TRADER, CLIENT), list(OURS, 2, 60, CLIENT)],
    expect: "confirm sources-disagree",
  },
  {
    name: "… and ACS's participant list settles it: gone",
    observations: [joined(TRADER, 0), list(OURS, 1, 1, TRADER, CLIENT), list(OURS, 2, 60, CLIENT), asked(61, CLIENT)],
    expect: "stop no-in-scope-present",
  },
  {
    name: "… or still there (the list was about someone else's leg)",
    observations: [
      joined(TRADER, 0),
      list(OURS, 1, 1, TRADER, CLIENT),
      list(OURS, 2, 60, CLIENT),
      asked(61, TRADER, CLIENT),
    ],
    expect: "record in-scope-present",
  },
  {
    name: "a leave after ACS's answer is a change after it: the newest wins",
    observations: [joined(TRADER, 0), list(OURS, 1, 1, TRADER, CLIENT), asked(30, TRADER, CLIENT), left(TRADER, 60)],
    expect: "stop no-in-scope-present",
  },
  {
    name: "two connections: one already without the trader, the other not yet: confirm",
    observations: [
      joined(TRADER, 0),
      list(OURS, 1, 1, TRADER, CLIENT),
      list(OTHER, 1, 1, TRADER, CLIENT),
      left(TRADER, 60),
      list(OURS, 2, 60, CLIENT),
    ],
    expect: "confirm sources-disagree",
  },
  {
    name: "two connections whose numbers differ (4 on one, 6 on the other) but whose newest lists agree",
    observations: [
      joined(TRADER, 0),
      list(OURS, 1, 1, TRADER, CLIENT),
      list(OTHER, 3, 1, TRADER, CLIENT),
      left(TRADER, 60),
      list(OURS, 4, 60, CLIENT),
      list(OTHER, 6, 60, CLIENT),
    ],
    expect: "stop no-in-scope-present",
  },
  {
    name: "a list with a higher number supersedes lower ones, whatever their times",
    observations: [list(OURS, 5, 10, CLIENT), list(OURS, 3, 20, TRADER, CLIENT)],
    inScope: [PHONE_TRADER, TRADER],
    expect: "stop no-in-scope-present",
  },
  {
    name: "the same number delivered again with the same list (as recorded): no doubt",
    observations: [
      list(OURS, 6, 1, TRADER, CLIENT),
      list(OURS, 6, 2, TRADER, CLIENT),
      list(OURS, 6, 3, TRADER, CLIENT),
    ],
    expect: "record in-scope-present",
  },
  {
    name: "the same number with two different lists: in doubt",
    observations: [list(OURS, 6, 1, TRADER, CLIENT), list(OURS, 6, 2, CLIENT)],
    expect: "confirm sources-disagree",
  },
  {
    name: "lists without numbers are ordered by their time",
    observations: [list(OURS, undefined, 1, TRADER, CLIENT), list(OURS, undefined, 60, CLIENT)],
    expect: "stop no-in-scope-present",
  },
  {
    name: "a phone member (no Event Grid events) leaves: only the lists say so",
    observations: [list(OURS, 1, 1, PHONE_TRADER, CLIENT, COLLEAGUE), list(OURS, 3, 90, CLIENT, COLLEAGUE)],
    inScope: [PHONE_TRADER],
    expect: "stop no-in-scope-present",
  },
  {
    name: "a Teams member leaves: only the lists say so",
    observations: [list(OURS, 1, 1, COLLEAGUE, CLIENT), list(OURS, 2, 90, CLIENT)],
    inScope: [COLLEAGUE],
    expect: "stop no-in-scope-present",
  },
  {
    name: "the trader rejoins: joined again, listed again",
    observations: [
      joined(TRADER, 0),
      list(OURS, 1, 1, TRADER, CLIENT),
      left(TRADER, 60),
      list(OURS, 2, 60, CLIENT),
      joined(TRADER, 120),
      list(OURS, 3, 120, TRADER, CLIENT),
    ],
    expect: "record in-scope-present",
    inScopePresent: [TRADER],
  },
  {
    name: "a rejoin seen on the list before its Event Grid event: the sources disagree, nobody in scope surely present",
    observations: [joined(TRADER, 0), left(TRADER, 60), list(OURS, 2, 60, CLIENT), list(OURS, 3, 120, TRADER, CLIENT)],
    expect: "confirm sources-disagree",
  },
  {
    name: "two in scope: one leaves, the other stays",
    observations: [
      joined(TRADER, 0),
      joined(SECOND_TRADER, 0),
      list(OURS, 1, 1, TRADER, SECOND_TRADER, CLIENT),
      left(TRADER, 60),
      list(OURS, 2, 60, SECOND_TRADER, CLIENT),
    ],
    inScope: [TRADER, SECOND_TRADER],
    expect: "record in-scope-present",
    inScopePresent: [SECOND_TRADER],
  },
  {
    name: "two in scope: one surely present, the other in doubt: keep recording",
    observations: [
      joined(TRADER, 0),
      joined(SECOND_TRADER, 0),
      list(OURS, 1, 1, TRADER, SECOND_TRADER),
      left(TRADER, 60),
    ],
    inScope: [TRADER, SECOND_TRADER],
    expect: "record in-scope-present",
  },
  {
    name: "two in scope, both gone",
    observations: [
      list(OURS, 1, 1, TRADER, SECOND_TRADER, CLIENT),
      left(TRADER, 60),
      left(SECOND_TRADER, 70),
      list(OURS, 2, 70, CLIENT),
    ],
    inScope: [TRADER, SECOND_TRADER],
    expect: "stop no-in-scope-present",
  },
  {
    name: "a join and a leave at the same instant: in doubt",
    observations: [joined(TRADER, 60), left(TRADER, 60)],
    expect: "confirm sources-disagree",
  },
  {
    name: "Event Grid events out of order: the newest by event time counts",
    observations: [left(TRADER, 60), joined(TRADER, 0)],
    expect: "stop no-in-scope-present",
  },
  {
    name: "until call-end: the trader's leave does not matter",
    observations: [joined(TRADER, 0), left(TRADER, 60), list(OURS, 2, 60, CLIENT)],
    until: "call-end",
    expect: "record until-call-end",
    inScopePresent: [],
  },
  {
    name: "nobody in scope (a decision without members): nothing to record for",
    observations: [list(OURS, 1, 1, CLIENT)],
    inScope: [],
    expect: "stop no-in-scope-present",
  },
  {
    name: "two ACS answers at the same instant that differ: in doubt",
    observations: [asked(30, TRADER), asked(30, CLIENT)],
    expect: "confirm sources-disagree",
  },
  {
    name: "an unreadable time never overrides a dated observation",
    observations: [joined(TRADER, 0), { source: "event-grid", change: "left", participant: TRADER, at: "yesterday" }],
    expect: "record in-scope-present",
  },
];

describe("scopeVerdict: join/leave sequences", () => {
  it.each(cases)("$name → $expect", ({ observations, inScope, until, expect: expected, inScopePresent }) => {
    const result = verdict(observations, inScope, until);
    expect(short(result)).toBe(expected);
    if (inScopePresent) expect(result.inScopePresent).toEqual(inScopePresent);
  });

  it("says who is present and who is in doubt", () => {
    const result = verdict([joined(TRADER, 0), list(OURS, 1, 1, TRADER, CLIENT, COLLEAGUE), left(TRADER, 60)]);
    expect(result.present).toEqual([CLIENT, COLLEAGUE].sort());
    expect(result.inDoubt).toEqual([TRADER]);
  });
});

describe("scopeVerdict: any order, any number of deliveries", () => {
  // Every case again, with its observations shuffled and some delivered several times (Event Grid and callbacks
  // promise no order and deliver at least once).
  it.each(cases)("$name", ({ observations, inScope, until }) => {
    const expected = verdict(observations, inScope, until);
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 2 }), { minLength: observations.length, maxLength: observations.length }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        (copies, randoms) => {
          const delivered = observations.flatMap((o, i) => Array.from({ length: 1 + (copies[i] ?? 0) }, () => o));
          const keyed = delivered.map((o) => ({ o, key: randoms.next().value as number }));
          const shuffled = keyed.sort((a, b) => a.key - b.key).map(({ o }) => o);
          expect(verdict(shuffled, inScope, until)).toEqual(expected);
        },
      ),
      { seed: 20261204, numRuns: 60 },
    );
  });
});

describe("scopeVerdict: random observations", () => {
  const participant = fc.constantFrom(TRADER, SECOND_TRADER, CLIENT, COLLEAGUE, PHONE_TRADER);
  const at = fc.integer({ min: 0, max: 20 });
  const observation: fc.Arbitrary<PresenceObservation> = fc.oneof(
    fc.tuple(fc.boolean(), participant, at).map(([join, p, s]) => (join ? joined(p, s) : left(p, s))),
    fc
      .tuple(fc.constantFrom(OURS, OTHER), fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }), at)
      .chain(([id, seq, s]) => fc.uniqueArray(participant, { maxLength: 4 }).map((ps) => list(id, seq, s, ...ps))),
    fc.tuple(at, fc.uniqueArray(participant, { maxLength: 4 })).map(([s, ps]) => asked(s, ...ps)),
  );

  it("the same observations in any order, each delivered once or more, give the same verdict", () => {
    fc.assert(
      fc.property(
        fc.array(observation, { maxLength: 12 }),
        fc.subarray([TRADER, SECOND_TRADER, PHONE_TRADER, COLLEAGUE]),
        fc.constantFrom("call-end" as const, "last-in-scope-leaves" as const),
        fc.func(fc.nat({ max: 2 })),
        fc.func(fc.double({ min: 0, max: 1, noNaN: true })),
        (observations, inScope, until, copiesOf, keyOf) => {
          const delivered = observations.flatMap((o, i) => Array.from({ length: 1 + copiesOf(i) }, () => o));
          const shuffled = delivered
            .map((o, i) => ({ o, key: keyOf(i) }))
            .sort((a, b) => a.key - b.key)
            .map(({ o }) => o);
          expect(verdict(shuffled, inScope, until)).toEqual(verdict(observations, inScope, until));
        },
      ),
      { seed: 20261204, numRuns: 300 },
    );
  });

  it("never stops while an in-scope participant is surely present, and never records with nobody in scope left", () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 12 }), (observations) => {
        const result = verdict(observations, [TRADER]);
        if (result.present.includes(TRADER)) expect(result.want).toBe("record");
        if (result.want === "stop") expect(result.inScopePresent).toEqual([]);
        if (result.want === "confirm") expect(result.inDoubt).toEqual([TRADER]);
      }),
      { seed: 20261204, numRuns: 300 },
    );
  });
});
