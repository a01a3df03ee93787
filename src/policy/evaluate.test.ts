import { describe, expect, it } from "vitest";
import { decide } from "./evaluate.js";
import { parsePolicyFile } from "./load.js";
import { policySetHash } from "./hash.js";
import { sampleBucket } from "./sampling.js";
import {
  ALICE,
  ALICES_DOCTOR,
  ANONYMOUS,
  BOB,
  BOT,
  CAROL,
  DAVE,
  DESK_LINE,
  ERIN,
  GRACE,
  HOTLINE,
  organisation,
  SAMPLED_KEY,
  STRANGER,
  TEAMS_STRANGER,
  UK_MOBILE,
  UNSAMPLED_KEY,
  US_CUSTOMER,
  WELFARE_LINE,
} from "./test-fixtures.js";
import type { CallFacts, Decision, RecordDecision } from "./types.js";

const policies = organisation();

interface Case {
  name: string;
  facts: CallFacts;
  /** "recorded required" | "not recorded exempt" …, then "team/rule" when a rule decided. */
  expect: string;
}

// Dates: 2026-11-27 is a Friday; New York is UTC-5 in November and UTC-4 in July.
const weekdayNoon = "2026-11-24T12:00:00Z";
const call = (caller: string | undefined, callee: string | undefined, more: Partial<CallFacts> = {}): CallFacts => ({
  participants: [caller, callee].filter((p): p is string => !!p),
  ...(caller ? { caller } : {}),
  ...(callee ? { callee } : {}),
  at: weekdayNoon,
  ...more,
});

const cases: Case[] = [
  // Nobody in a team
  { name: "two strangers", facts: call(STRANGER, TEAMS_STRANGER), expect: "not recorded no-team-member" },
  { name: "no participants known yet", facts: { participants: [] }, expect: "not recorded no-team-member" },
  {
    name: "a stranger, a Teams user and a bot",
    facts: call(STRANGER, TEAMS_STRANGER, { participants: [BOT] }),
    expect: "not recorded no-team-member",
  },
  {
    name: "an E.164 number without the 4: prefix is not a PSTN raw id",
    facts: { participants: ["+442071234567"] },
    expect: "not recorded no-team-member",
  },
  { name: "anonymous caller to a stranger", facts: call(ANONYMOUS, STRANGER), expect: "not recorded no-team-member" },

  // One team, required
  { name: "internal desk call", facts: call(ALICE, BOB), expect: "recorded required desk/all" },
  {
    name: "desk member calls a stranger (outbound)",
    facts: call(ALICE, STRANGER),
    expect: "recorded required desk/all",
  },
  {
    name: "a stranger calls a desk member (inbound)",
    facts: call(STRANGER, ALICE),
    expect: "recorded required desk/all",
  },
  {
    name: "the desk's direct line (E.164 member) answers a customer",
    facts: call(US_CUSTOMER, DESK_LINE, { at: "2027-02-01T10:00:00Z" }),
    expect: "recorded required desk/all",
  },
  {
    name: "caller only known as caller (not in participants)",
    facts: { participants: [], caller: ALICE, callee: STRANGER },
    expect: "recorded required desk/all",
  },
  {
    name: "duplicated participants",
    facts: call(ALICE, BOB, { participants: [ALICE, ALICE, BOB] }),
    expect: "recorded required desk/all",
  },
  { name: "a bot on a desk call", facts: call(ALICE, BOT), expect: "recorded required desk/all" },
  {
    name: "unknown caller, member on the call (required rule has no conditions)",
    facts: { participants: [BOB, STRANGER] },
    expect: "recorded required desk/all",
  },

  // Exemptions
  {
    name: "desk member calls the welfare line",
    facts: call(ALICE, WELFARE_LINE),
    expect: "not recorded exempt desk/welfare-line",
  },
  {
    name: "the welfare line calls a desk member",
    facts: call(WELFARE_LINE, BOB),
    expect: "not recorded exempt desk/welfare-line",
  },
  {
    name: "Alice calls her doctor (personal exemption)",
    facts: call(ALICE, ALICES_DOCTOR),
    expect: "not recorded exempt desk/alices-doctor",
  },
  {
    name: "Bob calls Alice's doctor: the exemption is Alice's only",
    facts: call(BOB, ALICES_DOCTOR),
    expect: "recorded required desk/all",
  },
  {
    name: "Alice and Bob with Alice's doctor: Bob is not covered",
    facts: call(ALICE, ALICES_DOCTOR, { participants: [BOB] }),
    expect: "recorded required desk/all",
  },
  {
    name: "exemption until 2026-12-31, call in June 2026",
    facts: call(ALICE, US_CUSTOMER, { at: "2026-06-01T10:00:00Z" }),
    expect: "not recorded exempt desk/us-trial-2026",
  },
  {
    name: "exemption on its last day (UTC)",
    facts: call(ALICE, US_CUSTOMER, { at: "2026-12-31T23:59:59Z" }),
    expect: "not recorded exempt desk/us-trial-2026",
  },
  {
    name: "exemption expired",
    facts: call(ALICE, US_CUSTOMER, { at: "2027-01-01T00:00:00Z" }),
    expect: "recorded required desk/all",
  },
  {
    name: "exemption with an expiry, call time unknown: not applied",
    facts: call(ALICE, US_CUSTOMER, { at: undefined }),
    expect: "recorded required desk/all",
  },

  // Never rules, scope, direction
  {
    name: "support colleagues (scope internal)",
    facts: call(CAROL, DAVE),
    expect: "not recorded rule support/colleagues",
  },
  {
    name: "a support agent calls her own hotline number",
    facts: call(CAROL, HOTLINE),
    expect: "not recorded rule support/colleagues",
  },
  {
    name: "legal colleagues, ACS and Teams (privileged)",
    facts: call(ERIN, GRACE),
    expect: "not recorded rule legal/privileged",
  },
  {
    name: "support agent calls a UK mobile (outbound, +44*)",
    facts: call(CAROL, UK_MOBILE),
    expect: "recorded best-effort support/outbound-uk",
  },
  {
    name: "a UK mobile calls support (inbound: not the outbound rule)",
    facts: call(UK_MOBILE, CAROL),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "the hotline number is called by a stranger",
    facts: call(STRANGER, HOTLINE),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "direction unknown (no caller yet): direction rules do not match",
    facts: { participants: [CAROL, US_CUSTOMER], at: weekdayNoon },
    expect: "not recorded no-rule-matched",
  },
  {
    name: "group call, a stranger calls support",
    facts: call(STRANGER, DAVE, { participants: [TEAMS_STRANGER] }),
    expect: "recorded best-effort support/sample",
  },

  // Time windows across midnight and time zones (support: Fri and Sat 22:00–06:00 New York)
  {
    name: "Friday 23:30 New York (Saturday 04:30 UTC)",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-11-28T04:30:00Z" }),
    expect: "recorded required support/weekend-nights",
  },
  {
    name: "Saturday 05:59 New York: still Friday's window",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-11-28T10:59:00Z" }),
    expect: "recorded required support/weekend-nights",
  },
  {
    name: "Saturday 06:00 New York: window over",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-11-28T11:00:00Z" }),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "Thursday 23:00 New York: not a listed day",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-11-27T04:00:00Z" }),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "Sunday 01:00 New York: Saturday's window",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-11-29T06:00:00Z" }),
    expect: "recorded required support/weekend-nights",
  },
  {
    name: "Monday 01:00 New York: Sunday has no window",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-11-30T06:00:00Z" }),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "Friday 23:30 New York in summer time (03:30 UTC)",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-07-11T03:30:00Z" }),
    expect: "recorded required support/weekend-nights",
  },
  {
    name: "Friday 23:30 UTC is 19:30 in New York",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-07-10T23:30:00Z" }),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "a time with an offset is read as the same instant",
    facts: call(US_CUSTOMER, CAROL, { at: "2026-11-27T23:30:00-05:00" }),
    expect: "recorded required support/weekend-nights",
  },
  {
    name: "unreadable call time: time windows do not match",
    facts: call(US_CUSTOMER, CAROL, { at: "last friday" }),
    expect: "recorded best-effort support/sample",
  },

  // QA sampling
  {
    name: "inbound support call in the 20% sample",
    facts: call(US_CUSTOMER, CAROL, { callKey: SAMPLED_KEY }),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "inbound support call outside the 20% sample",
    facts: call(US_CUSTOMER, CAROL, { callKey: UNSAMPLED_KEY }),
    expect: "not recorded not-sampled support/sample",
  },
  {
    name: "no call key: sampling not applied, recorded",
    facts: call(US_CUSTOMER, CAROL),
    expect: "recorded best-effort support/sample",
  },

  // Counterpart kinds
  { name: "legal with a PSTN customer", facts: call(ERIN, US_CUSTOMER), expect: "recorded required legal/pstn" },
  {
    name: "legal's Teams user with a PSTN customer",
    facts: call(US_CUSTOMER, GRACE),
    expect: "recorded required legal/pstn",
  },
  {
    name: "an anonymous PSTN caller is a PSTN counterpart",
    facts: call(ANONYMOUS, ERIN),
    expect: "recorded required legal/pstn",
  },
  {
    name: "legal group call with an outside Teams user",
    facts: call(ERIN, GRACE, { participants: [TEAMS_STRANGER] }),
    expect: "recorded best-effort legal/group-with-teams-users",
  },
  {
    name: "legal 1:1 with an outside Teams user (rule needs a group)",
    facts: call(ERIN, TEAMS_STRANGER),
    expect: "not recorded rule legal/privileged",
  },

  // Several teams on one call
  { name: "desk and support: required beats never", facts: call(CAROL, ALICE), expect: "recorded required desk/all" },
  {
    name: "desk and legal: legal's never does not outvote the desk",
    facts: call(ERIN, ALICE),
    expect: "recorded required desk/all",
  },
  {
    name: "legal and support both refuse: the first refusal (file order) is cited",
    facts: call(ERIN, CAROL),
    expect: "not recorded rule legal/privileged",
  },
  {
    name: "legal requires, support samples: required, decided by legal",
    facts: call(US_CUSTOMER, CAROL, { participants: [ERIN] }),
    expect: "recorded required legal/pstn",
  },
  {
    name: "desk exempt, support out of sample: the exemption is cited",
    facts: call(WELFARE_LINE, CAROL, { participants: [ALICE], callKey: UNSAMPLED_KEY }),
    expect: "not recorded exempt desk/welfare-line",
  },
  {
    name: "desk exempt, support records: recorded by support",
    facts: call(WELFARE_LINE, CAROL, { participants: [ALICE], callKey: SAMPLED_KEY }),
    expect: "recorded best-effort support/sample",
  },
  {
    name: "support out of sample, legal privileged: the never rule is cited",
    facts: call(STRANGER, CAROL, { participants: [ERIN], callKey: UNSAMPLED_KEY }),
    expect: "not recorded rule legal/privileged",
  },
];

function summarise(decision: Decision): string {
  const by = "ruleId" in decision ? ` ${decision.teamId}/${decision.ruleId}` : "";
  return decision.record ? `recorded ${decision.mode}${by}` : `not recorded ${decision.reason}${by}`;
}

describe("decide: table", () => {
  it("has at least 40 cases", () => expect(cases.length).toBeGreaterThanOrEqual(40));

  it.each(cases)("$name → $expect", ({ facts, expect: expected }) => {
    const decision = decide(policies, facts);
    expect(summarise(decision)).toBe(expected);
    expect(decision.explanation.length).toBeGreaterThan(0);
    expect(decision.policySetHash).toBe(policySetHash(policies));
    if ("ruleId" in decision) {
      const policy = policies.find((p) => p.team.id === decision.teamId);
      expect(decision).toMatchObject({ policyFile: policy?.file, policyHash: policy?.hash });
    }
  });
});

const recorded = (facts: CallFacts): RecordDecision => {
  const decision = decide(policies, facts);
  if (!decision.record) throw new Error(`expected a recording: ${decision.explanation}`);
  return decision;
};

describe("decide: what a recording carries", () => {
  it("the rule's options, enforcement, retention and the team-first channel order", () => {
    expect(recorded(call(STRANGER, BOB))).toMatchObject({
      recording: {
        content: "audio",
        channel: "unmixed",
        format: "wav",
        pauseOnStart: false,
        participantOrdering: [BOB, STRANGER],
      },
      enforcement: { startWithinSeconds: 10, onStartFailure: "hang-up", onStop: "hang-up" },
      retention: { days: 2555, legalHold: false },
      pause: { allowed: false, autoResumeSeconds: null },
    });
  });

  it("defaults: mixed wav, alert within 15 s, no retention period, no pausing, no announcement", () => {
    const decision = recorded(call(ERIN, GRACE, { participants: [TEAMS_STRANGER] }));
    expect(decision).toMatchObject({
      recording: { content: "audio", channel: "mixed", format: "wav", participantOrdering: [] },
      enforcement: { startWithinSeconds: 15, onStartFailure: "alert", onStop: "alert" },
      retention: { days: null, legalHold: false },
    });
    expect(decision.announcement).toBeUndefined();
  });

  it("several teams: options of the deciding team, strictest enforcement, longest retention, any legal hold", () => {
    // legal (required, alert 30 s / restart, 1825 d + hold) and support (best-effort sample, alert 15 s / alert, 365 d, pause).
    const decision = recorded(call(US_CUSTOMER, CAROL, { participants: [ERIN] }));
    expect(decision).toMatchObject({
      mode: "required",
      teamId: "legal",
      recording: { format: "mp3", channel: "mixed" },
      enforcement: { startWithinSeconds: 15, onStartFailure: "alert", onStop: "restart" },
      retention: { days: 1825, legalHold: true },
      pause: { allowed: false, autoResumeSeconds: null },
      announcement: { audioUrl: "https://media.example.com/notice.wav" },
      settingsFrom: {
        recording: "legal",
        enforcementStart: "support",
        enforcementStop: "legal",
        retention: "legal",
        announcement: "legal",
      },
    });
    expect(decision.contributions?.map((c) => [c.teamId, c.outcome, c.ruleId])).toEqual([
      ["legal", "record", "pstn"],
      ["support", "record", "sample"],
    ]);
    expect(decision.explanation).toMatch(/legal.*support/s);
    expect(decision.explanation).toContain("Combined:");
  });

  it("several teams: the hang-up of a required team is stricter than another's alert; unmixed order puts the deciding team first", () => {
    const decision = recorded(call(ALICE, UK_MOBILE, { participants: [CAROL] }));
    expect(decision).toMatchObject({
      teamId: "desk",
      enforcement: { onStartFailure: "hang-up", startWithinSeconds: 10, onStop: "hang-up" },
      retention: { days: 2555 },
      recording: { participantOrdering: [ALICE, CAROL, UK_MOBILE] },
    });
  });

  it("a reject from a required rule beats a hang-up", () => {
    // Friday night New York: support's weekend rule rejects within 20 s; the desk hangs up within 10 s.
    const decision = recorded(call(UK_MOBILE, CAROL, { participants: [BOB], at: "2026-11-28T04:30:00Z" }));
    expect(decision.enforcement).toEqual({ startWithinSeconds: 20, onStartFailure: "reject", onStop: "hang-up" });
    expect(decision.settingsFrom).toMatchObject({
      enforcementStart: "support",
      enforcementStop: "desk",
      recording: "desk",
    });
    expect(decision.contributions?.find((c) => c.teamId === "support")?.localTime).toBe("Fri 23:30 America/New_York");
  });

  it("pausing is allowed when every recording team allows it", () => {
    expect(recorded(call(US_CUSTOMER, CAROL)).pause).toEqual({ allowed: true, autoResumeSeconds: 120 });
  });

  it("a not-recorded decision still lists each team's contribution", () => {
    const decision = decide(policies, call(ERIN, CAROL));
    expect(decision.contributions?.map((c) => `${c.teamId}:${c.outcome}:${c.reason ?? ""}`)).toEqual([
      "legal:never:Legal privilege",
      "support:never:Internal coordination",
    ]);
  });

  it("sampling says whether it was applied", () => {
    const sampled = decide(policies, call(US_CUSTOMER, CAROL, { callKey: SAMPLED_KEY }));
    expect(sampled.contributions?.[0]?.sampling).toEqual({
      percent: 20,
      bucket: sampleBucket("support", SAMPLED_KEY),
      sampled: true,
    });
    const keyless = decide(policies, call(US_CUSTOMER, CAROL));
    expect(keyless.contributions?.[0]?.sampling).toEqual({ percent: 20, bucket: null, sampled: true });
    expect(keyless.explanation).toContain("no call key");
  });
});

describe("decide: purity", () => {
  it("the same decision whatever the order of policies and participants", () => {
    const facts = call(US_CUSTOMER, CAROL, { participants: [ERIN, BOB, STRANGER], callKey: "k" });
    const reordered = { ...facts, participants: [...facts.participants].reverse() };
    expect(decide([...policies].reverse(), reordered)).toEqual(decide(policies, facts));
  });

  it("does not depend on the call time when no time condition is evaluated", () => {
    const morning = decide(policies, call(ALICE, BOB, { at: "2026-01-01T08:00:00Z" }));
    const evening = decide(policies, call(ALICE, BOB, { at: "2026-06-01T20:00:00Z" }));
    expect(evening).toEqual(morning);
  });

  it("samples about the stated share of calls, deterministically", () => {
    const keys = Array.from({ length: 4000 }, (_, i) => `server-call-${i}`);
    const recordedShare =
      keys.filter((callKey) => decide(policies, call(US_CUSTOMER, CAROL, { callKey })).record).length / keys.length;
    expect(recordedShare).toBeGreaterThan(0.18);
    expect(recordedShare).toBeLessThan(0.22);
    expect(decide(policies, call(US_CUSTOMER, CAROL, { callKey: keys[7] }))).toEqual(
      decide(policies, call(US_CUSTOMER, CAROL, { callKey: keys[7] })),
    );
  });
});

describe("decide: how long the recording lasts, and whether it may be stopped on request", () => {
  // Three small teams on their own, so that each combination is visible in the files themselves.
  const team = (id: string, member: string, rule: string, teamFields = "") =>
    parsePolicyFile(
      `${id}.yaml`,
      `version: 1\nteam: { id: ${id}, name: ${id}${teamFields} }\nmembers: ["${member}"]\nrules:\n  - { id: all, ${rule} }\n`,
    );
  const traders = (rule = "mode: required", teamFields = "") => team("traders", ALICE, rule, teamFields);
  const desk = (rule = "mode: best-effort") => team("desk", BOB, rule);
  const service = (rule = "mode: best-effort") => team("service", CAROL, rule);
  const objection = "stop: { allowed: true, reasons: [customer-objection, wrong-number] }";

  it.each([
    {
      name: "one required team, defaults: while its member is on, not stoppable",
      teams: [traders()],
      on: [ALICE, STRANGER],
      until: "last-in-scope-leaves",
      inScope: [ALICE],
      stop: { allowed: false, reasons: [] },
    },
    {
      name: "the team's default: call-end",
      teams: [traders("mode: required", ", until: call-end")],
      on: [ALICE, STRANGER],
      until: "call-end",
      inScope: [ALICE],
      stop: { allowed: false, reasons: [] },
    },
    {
      name: "a best-effort team that allows a stop, with its reasons",
      teams: [desk(`mode: best-effort, ${objection}`)],
      on: [BOB, US_CUSTOMER],
      until: "last-in-scope-leaves",
      inScope: [BOB],
      stop: { allowed: true, reasons: ["customer-objection", "wrong-number"] },
    },
    {
      name: "two recording teams: in scope while a member of either is on",
      teams: [traders(), desk()],
      on: [ALICE, BOB, US_CUSTOMER],
      until: "last-in-scope-leaves",
      inScope: [BOB, ALICE], // policy file order: desk.yaml, then traders.yaml
      stop: { allowed: false, reasons: [] },
    },
    {
      name: "one team asks for call-end: the recording lasts until the call ends",
      teams: [traders(), desk("mode: best-effort, until: call-end")],
      on: [ALICE, BOB, US_CUSTOMER],
      until: "call-end",
      inScope: [BOB, ALICE], // policy file order: desk.yaml, then traders.yaml
      stop: { allowed: false, reasons: [] },
    },
    {
      name: "a required team forbids the stop another team would allow",
      teams: [traders(), desk(`mode: best-effort, ${objection}`)],
      on: [ALICE, BOB, US_CUSTOMER],
      until: "last-in-scope-leaves",
      inScope: [BOB, ALICE], // policy file order: desk.yaml, then traders.yaml
      stop: { allowed: false, reasons: [] },
    },
    {
      name: "two teams that allow a stop: only the reasons both accept",
      teams: [
        desk(`mode: best-effort, ${objection}`),
        service("mode: best-effort, stop: { allowed: true, reasons: [customer-objection] }"),
      ],
      on: [BOB, CAROL, US_CUSTOMER],
      until: "last-in-scope-leaves",
      inScope: [BOB, CAROL],
      stop: { allowed: true, reasons: ["customer-objection"] },
    },
    {
      name: "two teams that allow a stop for different reasons: no common reason, no stop",
      teams: [
        desk("mode: best-effort, stop: { allowed: true, reasons: [wrong-number] }"),
        service(`mode: best-effort, stop: { allowed: true, reasons: [customer-objection] }`),
      ],
      on: [BOB, CAROL, US_CUSTOMER],
      until: "last-in-scope-leaves",
      inScope: [BOB, CAROL],
      stop: { allowed: false, reasons: [] },
    },
    {
      name: "a team that does not record adds nobody to the scope",
      teams: [traders(), desk("mode: never")],
      on: [ALICE, BOB, US_CUSTOMER],
      until: "last-in-scope-leaves",
      inScope: [ALICE],
      stop: { allowed: false, reasons: [] },
    },
  ])("$name", ({ teams, on, until, inScope, stop }) => {
    const decision = decide(teams, { participants: on, caller: on[0], callee: on[1], at: weekdayNoon });
    if (!decision.record) throw new Error(decision.explanation);
    expect(decision.until).toBe(until);
    expect(decision.inScope).toEqual(inScope);
    expect(decision.stop).toEqual(stop);
    expect(decision.explanation).toContain(
      until === "call-end"
        ? "Recorded until the call ends"
        : `Recorded while one of ${inScope.join(", ")} is on the call.`,
    );
    expect(decision.explanation).toContain(
      stop.allowed ? `May be stopped on request for: ${stop.reasons.join(", ")}.` : "May not be stopped on request.",
    );
  });

  it("says which team's duration holds", () => {
    const decision = decide([traders(), desk("mode: best-effort, until: call-end")], {
      participants: [ALICE, BOB],
      at: weekdayNoon,
    });
    expect(decision.record && decision.settingsFrom?.until).toBe("desk");
  });
});
