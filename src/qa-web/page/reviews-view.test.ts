import { describe, expect, it } from "vitest";
import { isoWeek } from "../../reviews/index.js";
import {
  answersFrom,
  choicesOf,
  formatOffset,
  queueCells,
  reportSeries,
  scoreText,
  weekStart,
} from "./reviews-view.js";

const card = {
  team: "desk",
  title: "Desk",
  passMark: 80,
  sections: [
    {
      id: "s",
      title: "S",
      weight: 100,
      questions: [
        { id: "a", text: "A", type: "yes-no" as const, weight: 1, critical: true },
        { id: "b", text: "B", type: "yes-no-na" as const, weight: 1, critical: false },
        { id: "c", text: "C", type: "scale" as const, weight: 1, critical: false },
      ],
    },
  ],
};

describe("the scorecard form", () => {
  it("offers yes/no, N/A only where allowed, and 1 to 5", () => {
    expect(card.sections[0]!.questions.map((q) => choicesOf(q).map((c) => c.value))).toEqual([
      ["yes", "no"],
      ["yes", "no", "na"],
      ["1", "2", "3", "4", "5"],
    ]);
  });
  it.each([
    [
      [
        ["a", "yes"],
        ["b", "na"],
        ["c", "4"],
      ],
      { a: "yes", b: "na", c: 4 },
      [],
    ],
    [
      [
        ["a", "no"],
        ["c", ""],
      ],
      { a: "no" },
      ["b", "c"],
    ],
    [
      [
        ["a", "yes"],
        ["b", "no"],
        ["c", "1"],
        ["other", "x"],
      ],
      { a: "yes", b: "no", c: 1 },
      [],
    ],
  ] as [[string, string][], Record<string, unknown>, string[]][])(
    "%j → %j, missing %j",
    (entries, answers, missing) => {
      expect(answersFrom(card, entries)).toEqual({ answers, missing });
    },
  );
});

describe("texts", () => {
  it.each([
    [0, "0:00.0"],
    [62.25, "1:02.3"],
    [3599.96, "1:00:00.0"],
    [-1, "—"],
    [Number.NaN, "—"],
  ])("formatOffset(%s) = %s", (seconds, text) => expect(formatOffset(seconds)).toBe(text));
  it.each([
    [{ percent: 83, passed: true, criticalFailed: [] }, "83% — passed"],
    [{ percent: 85, passed: false, criticalFailed: ["a", "b"] }, "85% — failed (critical: a, b)"],
    [{ percent: null, passed: false, criticalFailed: [] }, "no score — failed"],
  ])("scoreText(%j) = %s", (score, text) => expect(scoreText(score)).toBe(text));
  it("names reasons, statuses and the reviewer's own items", () => {
    const item = {
      recordingId: "r",
      team: "t",
      agent: "a",
      startedAt: "",
      reasons: ["agent-sample", "paused"],
      status: "in-progress",
      assignee: "ann",
    };
    expect(queueCells(item, "ann")).toEqual({
      why: "weekly sample, paused",
      status: "In progress",
      assignee: "ann (you)",
    });
    expect(queueCells({ ...item, reasons: [], status: "done", assignee: null }, "ann")).toEqual({
      why: "reviewed",
      status: "Done",
      assignee: "anyone",
    });
  });
});

describe("the report chart", () => {
  it.each(["2026-W01", "2026-W50", "2026-W53", "2025-W01", "2021-W52"])(
    "weekStart(%s) is a Monday of that ISO week",
    (week) => {
      const start = new Date(weekStart(week));
      expect(start.getUTCDay()).toBe(1);
      expect(isoWeek(start)).toBe(week);
    },
  );
  it("is NaN for anything else", () => expect(weekStart("2026-50")).toBeNaN());
  it("gives one x per week and a line for the team, then each agent, with gaps as null", () => {
    const row = (week: string, agent: string | null, meanPercent: number | null) => ({
      team: "desk",
      week,
      agent,
      reviews: 1,
      meanPercent,
      passed: 0,
      failed: 0,
      criticalFailed: 0,
      flagged: 0,
    });
    const { x, series } = reportSeries([
      row("2026-W50", null, 80),
      row("2026-W50", "bob", 70),
      row("2026-W50", "alice", 90),
      row("2026-W51", null, 60),
      row("2026-W51", "alice", 60),
    ]);
    expect(x).toEqual([weekStart("2026-W50") / 1000, weekStart("2026-W51") / 1000]);
    expect(series).toEqual([
      { label: "desk (team)", values: [80, 60] },
      { label: "alice", values: [90, 60] },
      { label: "bob", values: [70, null] },
    ]);
  });
});
