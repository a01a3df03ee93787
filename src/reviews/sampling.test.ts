import { describe, expect, it } from "vitest";
import { isoWeek, nextReviewer, selectForReview, type Candidate } from "./sampling.js";
import type { SamplingRules } from "./scorecard.js";

const rules = (over: Partial<SamplingRules>): SamplingRules => ({
  perAgentPerWeek: 0,
  paused: false,
  enforced: false,
  flagged: false,
  ...over,
});
// 2026-12-07 is a Monday (week 50); 2026-12-06 a Sunday (week 49).
const rec = (id: string, agent: string, startedAt: string, over: Partial<Candidate> = {}): Candidate => ({
  recordingId: id,
  agent,
  startedAt,
  paused: false,
  enforced: false,
  flagged: false,
  ...over,
});

describe("isoWeek", () => {
  it.each([
    ["2026-12-06T23:59:59Z", "2026-W49"],
    ["2026-12-07T00:00:00Z", "2026-W50"],
    ["2027-01-01T12:00:00Z", "2026-W53"], // a Friday: still the last week of 2026
    ["2024-12-30T00:00:00Z", "2025-W01"], // a Monday in 2024 that begins 2025's first week
    ["2026-01-01T00:00:00Z", "2026-W01"], // a Thursday
  ])("%s is %s", (instant, week) => expect(isoWeek(instant)).toBe(week));
});

describe("selectForReview", () => {
  const table: [string, SamplingRules, Candidate[], [string, number][], [string, string[]][]][] = [
    ["nothing asked, nothing taken", rules({}), [rec("r1", "alice", "2026-12-07T09:00:00Z", { paused: true })], [], []],
    [
      "N per agent per week: the first N of each agent, per week",
      rules({ perAgentPerWeek: 2 }),
      [
        rec("a1", "alice", "2026-12-07T09:00:00Z"),
        rec("b1", "bob", "2026-12-07T09:05:00Z"),
        rec("a2", "alice", "2026-12-08T09:00:00Z"),
        rec("a3", "alice", "2026-12-09T09:00:00Z"),
        rec("a4", "alice", "2026-12-14T09:00:00Z"), // next week
      ],
      [],
      [
        ["a1", ["agent-sample"]],
        ["b1", ["agent-sample"]],
        ["a2", ["agent-sample"]],
        ["a4", ["agent-sample"]],
      ],
    ],
    [
      "what is already queued counts",
      rules({ perAgentPerWeek: 2 }),
      [rec("a3", "alice", "2026-12-09T09:00:00Z"), rec("b2", "bob", "2026-12-09T09:00:00Z")],
      [
        ["alice|2026-W50", 2],
        ["bob|2026-W50", 1],
      ],
      [["b2", ["agent-sample"]]],
    ],
    [
      "every pause and enforcement, beyond the sample",
      rules({ perAgentPerWeek: 1, paused: true, enforced: true }),
      [
        rec("a1", "alice", "2026-12-07T09:00:00Z"),
        rec("a2", "alice", "2026-12-07T10:00:00Z", { paused: true }),
        rec("a3", "alice", "2026-12-07T11:00:00Z", { enforced: true, paused: true }),
        rec("a4", "alice", "2026-12-07T12:00:00Z"),
      ],
      [],
      [
        ["a1", ["agent-sample"]],
        ["a2", ["paused"]],
        ["a3", ["paused", "enforced"]],
      ],
    ],
    [
      "a paused call also counts toward the agent's sample",
      rules({ perAgentPerWeek: 1, paused: true }),
      [rec("a1", "alice", "2026-12-07T09:00:00Z", { paused: true }), rec("a2", "alice", "2026-12-07T10:00:00Z")],
      [],
      [["a1", ["agent-sample", "paused"]]],
    ],
    [
      "flagged only when the rules take flagged",
      rules({ flagged: true }),
      [rec("f1", "bob", "2026-12-07T09:00:00Z", { flagged: true }), rec("f2", "bob", "2026-12-07T09:00:00Z")],
      [],
      [["f1", ["flagged"]]],
    ],
    [
      "no agent: never sampled per agent, still for a pause",
      rules({ perAgentPerWeek: 5, paused: true }),
      [rec("u1", "unknown", "2026-12-07T09:00:00Z"), rec("u2", "unknown", "2026-12-07T09:00:00Z", { paused: true })],
      [],
      [["u2", ["paused"]]],
    ],
  ];
  it.each(table)("%s", (_name, r, candidates, counted, expected) => {
    const before = new Map(counted);
    const selected = selectForReview(r, candidates, before);
    expect(selected.map((s) => [s.recordingId, s.reasons])).toEqual(expected);
    expect(before).toEqual(new Map(counted));
  });
});

describe("nextReviewer", () => {
  it.each([
    [[], [], undefined],
    [["ann", "ben"], [], "ann"],
    [
      ["ann", "ben"],
      [
        ["ann", 2],
        ["ben", 1],
      ],
      "ben",
    ],
    [
      ["ann", "ben"],
      [
        ["ann", 1],
        ["ben", 1],
      ],
      "ann",
    ],
  ] as [string[], [string, number][], string | undefined][])("%j with %j open: %s", (reviewers, open, expected) => {
    expect(nextReviewer(reviewers, new Map(open))).toBe(expected);
  });
});
