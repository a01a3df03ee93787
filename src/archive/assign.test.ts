import { describe, expect, it } from "vitest";
import { parsePolicyFile } from "../policy/load.js";
import { recordDecision, skipDecision } from "../sessions/test-fixtures.js";
import { AssignRefused, assignmentTarget } from "./assign.js";

const desk = parsePolicyFile(
  "desk.yaml",
  `version: 1
team: { id: desk, name: Desk }
members: ["8:acs:r_desk"]
rules:
  - id: short
    mode: best-effort
    recording: { format: mp3 }
    retention: { days: 30 }
  - id: long
    mode: required
    recording: { format: wav }
    retention: { days: 2555, legalHold: true }
  - id: private
    mode: never
`,
);
const policies = [desk];

describe("the team and retention an assigned recording gets", () => {
  const decided = recordDecision({
    teamId: "desk",
    ruleId: "short",
    policyHash: "h",
    retention: { days: 30, legalHold: false },
  });
  it.each([
    [
      "the call's own decision",
      { decision: decided },
      { teamId: "desk", ruleId: "short", retention: { days: 30, legalHold: false }, source: "call decision" },
    ],
    [
      "the ledger's team and rule, with that rule's retention now",
      { decision: skipDecision, ledger: { teamId: "desk", ruleId: "long" } },
      { teamId: "desk", ruleId: "long", retention: { days: 2555, legalHold: true }, source: "ledger" },
    ],
    [
      "the team the operator names: its longest retention",
      { decision: undefined, team: "desk" },
      { teamId: "desk", ruleId: "long", mode: "required", source: "operator" },
    ],
    [
      "the team and rule the operator names",
      { decision: undefined, team: "desk", rule: "short" },
      { teamId: "desk", ruleId: "short", mode: "best-effort", source: "operator" },
    ],
    [
      "an operator's rule over the call's decision of the same team",
      { decision: decided, team: "desk", rule: "long" },
      { ruleId: "long", source: "operator" },
    ],
  ])("%s", (_name, input, expected) => {
    expect(assignmentTarget({ ledger: undefined, policies, ...input })).toMatchObject(expected);
  });

  it.each([
    ["nothing to go by", { decision: undefined }, /name the team/],
    ["a team with no policy", { decision: undefined, team: "nobody" }, /no loaded policy for team nobody/],
    ["a never rule", { decision: undefined, team: "desk", rule: "private" }, /no recording rule private/],
    ["another team than the call's decision", { decision: decided, team: "legal" }, /files it under team desk/],
  ])("refused: %s", (_name, input, message) => {
    const target = () => assignmentTarget({ ledger: undefined, policies, ...input });
    expect(target).toThrow(AssignRefused);
    expect(target).toThrow(message);
  });
});
