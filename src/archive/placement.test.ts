import { describe, expect, it } from "vitest";
import { parsePolicyFile } from "../policy/load.js";
import { recordDecision, skipDecision } from "../sessions/test-fixtures.js";
import { placeRecording, quarantineRetention, retentionBase, type PlacementInput } from "./placement.js";

const policy = (id: string, rules: string) =>
  parsePolicyFile(
    `${id}.yaml`,
    `version: 1
team: { id: ${id}, name: ${id} }
members: ["8:acs:r_${id}"]
rules:
${rules}`,
  );
const rule = (id: string, retention: string, mode = "required") => `  - id: ${id}
    mode: ${mode}
    recording: { format: wav }
${retention ? `    retention: ${retention}\n` : ""}`;
const NEVER = `  - id: never
    mode: never
`;

describe("quarantine retention: the longest any loaded policy asks for, never none", () => {
  it.each([
    [
      "the longest days of all teams",
      [policy("a", rule("r", "{ days: 30 }")), policy("b", rule("r", "{ days: 2555 }"))],
      { days: 2555, legalHold: false },
    ],
    [
      "a hold if any policy holds",
      [policy("a", rule("r", "{ days: 30 }")), policy("b", rule("r", "{ days: 10, legalHold: true }"))],
      { days: 30, legalHold: true },
    ],
    [
      "best-effort rules count too",
      [policy("a", rule("r", "{ days: 365 }", "best-effort"))],
      { days: 365, legalHold: false },
    ],
    ["never rules ask for nothing", [policy("a", NEVER + rule("r", "{ days: 7 }"))], { days: 7, legalHold: false }],
    ["no days anywhere: a legal hold", [policy("a", rule("r", ""))], { days: null, legalHold: true }],
    ["no policies at all: a legal hold", [], { days: null, legalHold: true }],
  ])("%s", (_name, policies, expected) => {
    expect(quarantineRetention(policies)).toEqual(expected);
  });
});

describe("the base retention counts from: our own clock first, never the recording event's own times", () => {
  const FIRST_SEEN = "2026-11-21T12:00:00.000Z";
  it.each([
    ["no session: when the recording event was first seen", undefined, FIRST_SEEN],
    [
      "the earliest the webhook saw the call",
      { rangSeenAt: "2026-11-21T10:00:02Z", startedSeenAt: "2026-11-21T10:00:01Z", startedAt: "2026-11-21T09:00:00Z" },
      "2026-11-21T10:00:01Z",
    ],
    [
      "the call's start as its events told it, when never seen arriving",
      { startedAt: "2026-11-21T09:00:00Z" },
      "2026-11-21T09:00:00Z",
    ],
    ["unreadable times are skipped", { rangSeenAt: "soon", startedAt: "later" }, FIRST_SEEN],
  ])("%s", (_name, session, expected) => {
    expect(retentionBase(session && { rangSeenAt: undefined, startedSeenAt: undefined, ...session }, FIRST_SEEN)).toBe(
      expected,
    );
  });
});

describe("placing a recording", () => {
  const policies = [
    policy("desk", rule("r", "{ days: 30 }")),
    policy("legal", rule("r", "{ days: 3650, legalHold: true }")),
  ];
  const base: PlacementInput = {
    serverCallId: "c/1+a==",
    via: "callId",
    callId: "acs-call-1",
    decision: recordDecision({
      teamId: "desk",
      ruleId: "all",
      policyHash: "h1",
      retention: { days: 30, legalHold: false },
    }),
    session: { rangSeenAt: undefined, startedSeenAt: "2026-11-21T10:00:00.000Z", startedAt: undefined },
    firstSeenAt: "2026-11-21T11:00:00.000Z",
    policies,
  };
  it("a call a policy records: the team's layout and the decision's retention, from the call's start", () => {
    expect(placeRecording(base)).toEqual({
      kind: "call",
      serverCallId: "c/1+a==",
      via: "callId",
      teamId: "desk",
      ruleId: "all",
      policyHash: "h1",
      mode: "required",
      retention: { days: 30, legalHold: false },
      retainFrom: "2026-11-21T10:00:00.000Z",
    });
  });
  it.each([
    [
      "no call found",
      { serverCallId: undefined, via: undefined },
      /^no call found for ACS call id acs-call-1$/,
      undefined,
    ],
    ["a call with no decision", { decision: undefined }, /has no policy decision/, "c/1+a=="],
    [
      "a call no policy records",
      { decision: skipDecision },
      /^no policy records call c\/1\+a== \(no-team-member/,
      "c/1+a==",
    ],
  ])("%s: the quarantine, with the longest retention and a hold", (_name, change, reason, serverCallId) => {
    const placed = placeRecording({ ...base, ...change });
    expect(placed).toMatchObject({ kind: "quarantine", retention: { days: 3650, legalHold: true } });
    expect(placed.kind === "quarantine" && placed.reason).toMatch(reason);
    expect(placed.serverCallId).toBe(serverCallId);
  });
  it("an unknown call's quarantine counts retention from when the recording was first seen", () => {
    expect(placeRecording({ ...base, serverCallId: undefined, via: undefined }).retainFrom).toBe(base.firstSeenAt);
  });
});
