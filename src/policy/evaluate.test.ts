import { describe, expect, it } from "vitest";
import { decide } from "./evaluate.js";
import type { RecordingOptions, TeamPolicy } from "./types.js";

const unmixedWav: RecordingOptions = { content: "audio", channel: "unmixed", format: "wav", pauseOnStart: false };
const team = (id: string, members: string[], mode: TeamPolicy["rules"][number]["mode"]): TeamPolicy => ({
  file: `${id}.yaml`,
  hash: `hash-${id}`,
  team: { id, name: id },
  members,
  rules: [{ id: `${id}-rule`, mode, recording: unmixedWav }],
});

const alice = "8:acs:r_alice";
const bob = "8:acs:r_bob";
const stranger = "8:acs:r_stranger";
const policies = [
  team("a-trading", [alice, "+442071234567"], "required"),
  team("b-support", [bob], "best-effort"),
  team("c-exempt", ["8:acs:r_exempt"], "never"),
];

describe("decide", () => {
  const cases: { name: string; participants: string[]; record: boolean; teamId?: string; ruleId?: string }[] = [
    { name: "two strangers", participants: [stranger, "8:acs:r_other"], record: false },
    { name: "no participants known", participants: [], record: false },
    { name: "a required member calls a stranger", participants: [alice, stranger], record: true, teamId: "a-trading" },
    { name: "a stranger calls a required member", participants: [stranger, alice], record: true, teamId: "a-trading" },
    { name: "member by E.164 number", participants: ["4:+442071234567", stranger], record: true, teamId: "a-trading" },
    { name: "number without the 4: prefix is not matched", participants: ["+442071234567"], record: false },
    { name: "best-effort member", participants: [bob, stranger], record: true, teamId: "b-support" },
    { name: "required beats best-effort by file order", participants: [bob, alice], record: true, teamId: "a-trading" },
    { name: "exempt member alone", participants: ["8:acs:r_exempt", stranger], record: false, teamId: "c-exempt" },
    { name: "exempt member with a required one", participants: ["8:acs:r_exempt", alice], record: true, teamId: "a-trading" },
  ];
  it.each(cases)("$name", ({ participants, record, teamId }) => {
    const decision = decide(policies, { participants });
    expect(decision.record).toBe(record);
    if (teamId) {
      expect(decision).toMatchObject({ teamId, ruleId: `${teamId}-rule`, policyHash: `hash-${teamId}` });
    } else {
      expect(decision).toMatchObject({ reason: "no-team-member" });
    }
  });

  it("carries the rule's recording options and an explanation", () => {
    const decision = decide(policies, { participants: [alice] });
    expect(decision).toMatchObject({ record: true, mode: "required", recording: unmixedWav });
    expect(decision.explanation).toContain("a-trading");
  });
});
