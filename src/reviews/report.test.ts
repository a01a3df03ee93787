import { describe, expect, it } from "vitest";
import { reportCsv, reviewReport } from "./report.js";
import type { ReviewDocument } from "./review.js";

type Latest = Pick<ReviewDocument, "team" | "agent" | "recordingStartedAt" | "score" | "flags">;
const review = (
  team: string,
  agent: string,
  at: string,
  percent: number | null,
  passed: boolean,
  extra: { critical?: boolean; flagged?: boolean } = {},
): Latest => ({
  team,
  agent,
  recordingStartedAt: at,
  score: { percent, passed, criticalFailed: extra.critical ? ["q"] : [], sections: [] },
  flags: extra.flagged ? [{ kind: "coaching", note: "" }] : [],
});

describe("reviewReport", () => {
  it("groups per team and agent per ISO week, the team's row first", () => {
    const rows = reviewReport([
      review("desk", "bob", "2026-12-07T09:00:00Z", 90, true),
      review("desk", "alice", "2026-12-08T09:00:00Z", 60, false, { critical: true, flagged: true }),
      review("desk", "alice", "2026-12-09T09:00:00Z", 81, true),
      review("desk", "alice", "2026-12-14T09:00:00Z", null, false),
      review("legal", "erin", "2026-12-07T09:00:00Z", 100, true),
    ]);
    expect(
      rows.map((r) => [
        r.team,
        r.week,
        r.agent,
        r.reviews,
        r.meanPercent,
        r.passed,
        r.failed,
        r.criticalFailed,
        r.flagged,
      ]),
    ).toEqual([
      ["desk", "2026-W50", null, 3, 77, 2, 1, 1, 1],
      ["desk", "2026-W50", "alice", 2, 70.5, 1, 1, 1, 1],
      ["desk", "2026-W50", "bob", 1, 90, 1, 0, 0, 0],
      ["desk", "2026-W51", null, 1, null, 0, 1, 0, 0],
      ["desk", "2026-W51", "alice", 1, null, 0, 1, 0, 0],
      ["legal", "2026-W50", null, 1, 100, 1, 0, 0, 0],
      ["legal", "2026-W50", "erin", 1, 100, 1, 0, 0, 0],
    ]);
  });
  it("is empty for no reviews", () => expect(reviewReport([])).toEqual([]));
});

describe("reportCsv", () => {
  it("writes RFC 4180 lines, quotes what needs it, and defuses formulas", () => {
    const rows = reviewReport([
      review("desk", "+442071234567", "2026-12-07T09:00:00Z", 50, false),
      review("desk", 'x,"y"', "2026-12-07T09:00:00Z", 100, true),
    ]);
    expect(reportCsv(rows).split("\r\n")).toEqual([
      "team,week,agent,agentName,reviews,meanPercent,passed,failed,criticalFailed,flagged",
      "desk,2026-W50,(team),,2,75,1,1,0,0",
      "desk,2026-W50,'+442071234567,,1,50,0,1,0,0",
      'desk,2026-W50,"x,""y""",,1,100,1,0,0,0',
      "",
    ]);
  });
});
