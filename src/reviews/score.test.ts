import { describe, expect, it } from "vitest";
import { answerProblems, scoreReview, type Answer } from "./score.js";
import type { Scorecard } from "./scorecard.js";

const card: Pick<Scorecard, "sections" | "passMark"> = {
  passMark: 80,
  sections: [
    {
      id: "compliance",
      title: "Compliance",
      weight: 60,
      questions: [
        { id: "disclosure", text: "Recording disclosed?", type: "yes-no", weight: 1, critical: true },
        { id: "id-check", text: "Identity checked?", type: "yes-no-na", weight: 3, critical: false },
      ],
    },
    {
      id: "manner",
      title: "Manner",
      weight: 40,
      questions: [
        { id: "courtesy", text: "Courtesy", type: "scale", weight: 1, critical: false },
        { id: "clarity", text: "Clarity", type: "scale", weight: 1, critical: false },
      ],
    },
  ],
};

describe("scoreReview", () => {
  const table: [string, Record<string, Answer>, number | null, boolean, string[], (number | null)[]][] = [
    ["all best", { disclosure: "yes", "id-check": "yes", courtesy: 5, clarity: 5 }, 100, true, [], [100, 100]],
    ["all worst", { disclosure: "no", "id-check": "no", courtesy: 1, clarity: 1 }, 0, false, ["disclosure"], [0, 0]],
    // compliance (1*1 + 0*3)/4 = 25 %; manner (1 + 0.5)/2 = 75 %; total .6*.25 + .4*.75 = 45 %
    ["weights", { disclosure: "yes", "id-check": "no", courtesy: 5, clarity: 3 }, 45, false, [], [25, 75]],
    // na leaves id-check out: compliance 100 %; manner 50 %: total 80 %, exactly the pass mark
    [
      "na left out, at the mark",
      { disclosure: "yes", "id-check": "na", courtesy: 3, clarity: 3 },
      80,
      true,
      [],
      [100, 50],
    ],
    // 100 % by weight, but a critical "no"... cannot be 100: critical fails whatever the score
    [
      "critical fails a high score",
      { disclosure: "no", "id-check": "yes", courtesy: 5, clarity: 5 },
      85,
      false,
      ["disclosure"],
      [75, 100],
    ],
    [
      "just under the mark",
      { disclosure: "yes", "id-check": "na", courtesy: 3, clarity: 2 },
      75,
      false,
      [],
      [100, 37.5],
    ],
  ];
  it.each(table)("%s", (_name, answers, percent, passed, critical, sections) => {
    const score = scoreReview(card, answers);
    expect(score.percent).toBe(percent);
    expect(score.passed).toBe(passed);
    expect(score.criticalFailed).toEqual(critical);
    expect(score.sections.map((s) => s.percent)).toEqual(sections);
  });

  it("leaves out a section with every question na, and scores nothing when nothing is scorable", () => {
    const onlyNa = { sections: [card.sections[0]!], passMark: 50 };
    const score = scoreReview(
      { ...onlyNa, sections: [{ ...card.sections[0]!, questions: [card.sections[0]!.questions[1]!] }] },
      { "id-check": "na" },
    );
    expect(score).toEqual({
      percent: null,
      passed: false,
      criticalFailed: [],
      sections: [{ id: "compliance", percent: null }],
    });
  });
});

describe("answerProblems", () => {
  const table: [string, Record<string, unknown>, string[]][] = [
    ["complete", { disclosure: "yes", "id-check": "na", courtesy: 4, clarity: 1 }, []],
    ["missing", { disclosure: "yes", courtesy: 4, clarity: 1 }, ["id-check: not answered"]],
    [
      "na on yes-no",
      { disclosure: "na", "id-check": "na", courtesy: 4, clarity: 1 },
      ['disclosure: "na" is not "yes" or "no"'],
    ],
    [
      "scale out of range",
      { disclosure: "yes", "id-check": "yes", courtesy: 6, clarity: 1.5 },
      ["courtesy: 6 is not a whole number from 1 to 5", "clarity: 1.5 is not a whole number from 1 to 5"],
    ],
    [
      "unknown question",
      { disclosure: "yes", "id-check": "yes", courtesy: 2, clarity: 2, extra: "yes" },
      ["extra: no such question"],
    ],
  ];
  it.each(table)("%s", (_name, answers, problems) => {
    expect(answerProblems(card, answers)).toEqual(problems);
  });
});
