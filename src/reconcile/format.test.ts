import { describe, expect, it } from "vitest";
import type { ReconciledCall } from "./classify.js";
import { csvLines, describeCall } from "./format.js";

const call: ReconciledCall = {
  correlationId: "corr-1",
  status: "incomplete",
  teams: ["desk", "legal"],
  startedAt: "2026-12-04T10:00:00.000Z",
  durationSeconds: 120,
  serverCallIds: ["server-1"],
  ruleId: "all",
  detail: 'rec-1: 2 of 3 chunks archived; "rec-2", not archived',
  recordings: [],
};

describe("reconcile output", () => {
  it("writes a call on one line with what joins it to ours", () => {
    expect(describeCall(call)).toBe(
      '2026-12-04T10:00:00.000Z  incomplete  correlationId=corr-1  teams=desk,legal  serverCallId=server-1  rule=all  rec-1: 2 of 3 chunks archived; "rec-2", not archived',
    );
  });

  it("writes CSV with a header, quoting fields with commas and quotes", () => {
    expect(csvLines([call])).toEqual([
      "correlationId,status,startedAt,durationSeconds,teams,serverCallIds,ruleId,detail",
      'corr-1,incomplete,2026-12-04T10:00:00.000Z,120,desk;legal,server-1,all,"rec-1: 2 of 3 chunks archived; ""rec-2"", not archived"',
    ]);
  });
});
