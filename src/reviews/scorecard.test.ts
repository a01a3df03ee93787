import { describe, expect, it } from "vitest";
import { loadPolicies } from "../policy/index.js";
import { readScorecards } from "./load.js";
import { lintScorecards, parseScorecard, ScorecardError, type Scorecard } from "./scorecard.js";

const text = (body: string) => `version: 1\nteam: desk\ntitle: Desk\npassMark: 80\n${body}`;
const sections = `sections:
  - id: a
    title: A
    weight: 100
    questions:
      - { id: q1, text: Q1, type: yes-no, critical: true }
      - { id: q2, text: Q2, type: scale }
`;

describe("parseScorecard", () => {
  it("fills defaults", () => {
    const card = parseScorecard("desk.yaml", text(sections));
    expect(card.sections[0]!.questions[1]).toEqual({ id: "q2", text: "Q2", type: "scale", weight: 1, critical: false });
    expect(card.sampling).toEqual({ perAgentPerWeek: 0, paused: false, enforced: false, flagged: true });
    expect(card.hash).toMatch(/^[0-9a-f]{64}$/);
  });
  it.each([
    ["an unknown field", text(`${sections}colour: red\n`), "desk.yaml: colour: unknown field"],
    ["a zero weight", text(sections.replace("weight: 100", "weight: 0")), "desk.yaml: sections.0.weight:"],
    [
      "an unknown type",
      text(sections.replace("type: scale", "type: stars")),
      "desk.yaml: sections.0.questions.1.type:",
    ],
    ["no sections", text("sections: []\n"), "desk.yaml: sections:"],
    ["a pass mark over 100", text(sections).replace("passMark: 80", "passMark: 120"), "desk.yaml: passMark:"],
    ["bad YAML", "version: [1", "desk.yaml:"],
  ])("refuses %s", (_name, body, problem) => {
    try {
      parseScorecard("desk.yaml", body);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScorecardError);
      expect((error as ScorecardError).problems[0]).toContain(problem);
    }
  });
});

describe("lintScorecards", () => {
  const card = (file: string, body: string): Scorecard => parseScorecard(file, text(body));
  const twoSections = `sections:
  - id: a
    title: A
    weight: 50
    questions:
      - { id: q1, text: Q1, type: yes-no }
  - id: b
    title: B
    weight: 40
    questions:
      - { id: q1, text: Q1 again, type: scale, critical: true }
  - id: a
    title: A again
    weight: 10
    questions:
      - { id: q3, text: Q3, type: yes-no }
`;
  it.each([
    ["a clean card", [card("desk.yaml", sections)], ["desk"], []],
    [
      "duplicate ids and a critical scale question",
      [card("desk.yaml", twoSections)],
      ["desk"],
      [
        "error desk.yaml: question id q1 is used twice (ids are unique in a scorecard)",
        'error desk.yaml: question q1: only yes-no questions can be critical (a "no" fails the review)',
        "error desk.yaml: section id a is used twice",
      ],
    ],
    [
      "weights not adding up to 100",
      [card("desk.yaml", sections.replace("weight: 100", "weight: 3"))],
      ["desk"],
      ["warning desk.yaml: section weights add up to 3, not 100: they are used as relative weights"],
    ],
    [
      "a team no policy defines, and a team without a card",
      [card("desk.yaml", sections)],
      ["legal"],
      [
        "error desk.yaml: team desk is defined by no policy file",
        "warning scorecards: team legal has no scorecard: its recordings cannot be reviewed",
      ],
    ],
    [
      "two cards for one team",
      [card("desk.yaml", sections), card("desk-2.yaml", sections)],
      ["desk"],
      ["error desk-2.yaml: team desk already has a scorecard (desk.yaml)"],
    ],
    [
      "sampling with nobody to assign",
      [card("desk.yaml", `${sections}sampling: { perAgentPerWeek: 2 }\n`)],
      ["desk"],
      ["warning desk.yaml: recordings are sampled but no reviewers are listed: the queue assigns nobody by itself"],
    ],
  ] as [string, Scorecard[], string[], string[]][])("%s", (_name, cards, teams, expected) => {
    const issues = lintScorecards(cards, teams).map((i) => `${i.level} ${i.where}: ${i.message}`);
    expect(issues.sort()).toEqual([...expected].sort());
  });

  it("passes the shipped scorecards: one per team of policies/, no error", async () => {
    const { scorecards, problems } = await readScorecards("policies");
    expect(problems).toEqual([]);
    const teams = (await loadPolicies("policies")).map((p) => p.team.id);
    expect(scorecards.map((c) => c.team).sort()).toEqual([...teams].sort());
    expect(lintScorecards(scorecards, teams)).toEqual([]);
  });
});
