import { describe, expect, it } from "vitest";
import { itemAfterReview, itemAssigned, itemStarted, orderQueue, type QueueItem } from "./queue.js";
import type { FlagKind } from "./review.js";

const item = (over: Partial<QueueItem> = {}): QueueItem => ({
  recordingId: "r1",
  serverCallId: "c1",
  team: "desk",
  agent: "alice",
  startedAt: "2026-12-07T09:00:00Z",
  reasons: ["agent-sample"],
  status: "in-progress",
  assignee: "ann",
  queuedAt: "2026-12-07T10:00:00Z",
  updatedAt: "2026-12-07T10:00:00Z",
  reviewIds: [],
  ...over,
});

describe("itemAfterReview", () => {
  const table: [string, FlagKind[], boolean, string[], Partial<QueueItem>][] = [
    ["no flag: done", [], true, [], { status: "done", reasons: ["agent-sample"], assignee: "ann" }],
    ["a dispute: disputed", ["dispute", "coaching"], true, [], { status: "disputed" }],
    [
      "a breach, first reviewer: a second look by someone else",
      ["compliance-breach"],
      true,
      [],
      { status: "to-review", reasons: ["agent-sample", "flagged"], assignee: "ben" },
    ],
    ["a breach, flagged not taken: done", ["compliance-breach"], false, [], { status: "done" }],
    ["a breach already looked at by two: done", ["coaching"], true, ["ben"], { status: "done" }],
  ];
  it.each(table)("%s", (_name, flags, flagged, reviewedBy, expected) => {
    const next = itemAfterReview(
      item(),
      { reviewId: "rv1", reviewer: "ann", flags, at: "2026-12-07T11:00:00Z" },
      { flagged, reviewers: ["ann", "ben"], reviewedBy, open: new Map() },
    );
    expect(next).toMatchObject({ ...expected, reviewIds: ["rv1"], updatedAt: "2026-12-07T11:00:00Z" });
  });
  it("lists a review once across its versions", () => {
    const next = itemAfterReview(
      item({ reviewIds: ["rv1"] }),
      { reviewId: "rv1", reviewer: "ann", flags: [], at: "x" },
      {
        flagged: true,
        reviewers: [],
        reviewedBy: [],
        open: new Map(),
      },
    );
    expect(next.reviewIds).toEqual(["rv1"]);
  });
});

describe("orderQueue", () => {
  it("puts the reviewer's own open items first, then unassigned, then others', then closed; oldest first", () => {
    const items = [
      item({ recordingId: "done-mine", status: "done", assignee: "ann", startedAt: "2026-12-01T00:00:00Z" }),
      item({ recordingId: "bens", status: "to-review", assignee: "ben", startedAt: "2026-12-01T00:00:00Z" }),
      item({ recordingId: "free", status: "to-review", assignee: null, startedAt: "2026-12-02T00:00:00Z" }),
      item({ recordingId: "mine-late", status: "to-review", assignee: "ann", startedAt: "2026-12-09T00:00:00Z" }),
      item({ recordingId: "mine-early", status: "disputed", assignee: "ann", startedAt: "2026-12-03T00:00:00Z" }),
    ];
    expect(orderQueue(items, "ann").map((i) => i.recordingId)).toEqual([
      "mine-early",
      "mine-late",
      "free",
      "bens",
      "done-mine",
    ]);
    expect(orderQueue(items, undefined).map((i) => i.recordingId)).toEqual([
      "free",
      "bens",
      "mine-early",
      "mine-late",
      "done-mine",
    ]);
  });
});

describe("itemStarted", () => {
  const at = "2026-12-08T12:00:00Z";
  it.each<[string, Partial<QueueItem>, Partial<QueueItem> | undefined]>([
    [
      "unassigned, to review: in progress, the starter's",
      { status: "to-review", assignee: null },
      { status: "in-progress", assignee: "bob" },
    ],
    [
      "assigned to another: in progress, still theirs",
      { status: "to-review", assignee: "ann" },
      { status: "in-progress", assignee: "ann" },
    ],
    [
      "already in progress by another: theirs",
      { status: "in-progress", assignee: "ann" },
      { status: "in-progress", assignee: "ann" },
    ],
    ["disputed: stays disputed", { status: "disputed", assignee: null }, { status: "disputed", assignee: "bob" }],
    ["done: refused", { status: "done", assignee: "ann" }, undefined],
  ])("%s", (_case, before, after) => {
    const started = itemStarted(item(before), "bob", at);
    expect(started).toEqual(after ? item({ ...before, ...after, updatedAt: at }) : undefined);
  });
});

describe("itemAssigned", () => {
  it.each<[QueueItem["status"], string | null]>([
    ["to-review", "bob"],
    ["done", "bob"],
    ["in-progress", null],
  ])("a %s item assigned to %s keeps its status", (status, reviewer) => {
    expect(itemAssigned(item({ status }), reviewer, "t")).toEqual(item({ status, assignee: reviewer, updatedAt: "t" }));
  });
});
