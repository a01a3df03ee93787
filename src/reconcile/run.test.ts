import { describe, expect, it } from "vitest";
import { organisation } from "../policy/test-fixtures.js";
import type { AcsLogRecord } from "./records.js";
import { runReconciliation } from "./run.js";
import type { ReconcileSource, TimeWindow } from "./source.js";

const window = { from: new Date("2026-12-04T10:00:00Z"), to: new Date("2026-12-04T11:00:00Z") };
const records: AcsLogRecord[] = [
  { kind: "call-summary", correlationId: "c-1", identifier: "acs:r_alice", callStartTime: "2026-12-04T10:10:00Z" },
  { kind: "recording-summary", correlationId: "c-1", recordingId: "rec-1", chunkCount: 1, recordingLengthSeconds: 30 },
];

function fakeSource(problems: string[] = []): ReconcileSource & { windows: TimeWindow[] } {
  const windows: TimeWindow[] = [];
  return {
    kind: "storage",
    windows,
    async read(asked) {
      windows.push(asked);
      return { records, problems, read: ["blob-1", "blob-2"] };
    },
  };
}

const dependencies = (source: ReconcileSource, archived: boolean) => ({
  source,
  ledgerSince: async () => [
    { serverCallId: "s-1", correlationId: "c-1", outcome: "recorded" as const, updatedAt: "2026-12-04T10:12:00Z" },
  ],
  archived: async (recordingId: string) =>
    archived && recordingId === "rec-1" ? { chunkCount: 1, durationSeconds: 30 } : undefined,
  policies: organisation(),
  toleranceSeconds: 2,
  logDelayMs: 3_600_000,
});

describe("runReconciliation", () => {
  it("reads the logs for longer than the window (they are published after the call) and reconciles clean", async () => {
    const source = fakeSource();
    const run = await runReconciliation(dependencies(source, true), { window });
    expect(source.windows).toEqual([{ from: window.from, to: new Date("2026-12-04T12:00:00Z") }]);
    expect(run.calls.map((c) => c.status)).toEqual(["verified"]);
    expect(run).toMatchObject({ alerting: false, reads: 2, problems: [] });
  });

  it("alerts on a recording we never archived", async () => {
    const run = await runReconciliation(dependencies(fakeSource(), false), { window });
    expect(run.calls.map((c) => [c.status, c.detail])).toEqual([["incomplete", "rec-1: not archived by us"]]);
    expect(run.alerting).toBe(true);
  });

  it("alerts when records could not be read, even if every call it read is fine", async () => {
    const run = await runReconciliation(dependencies(fakeSource(["blob-1:3: not JSON"]), true), { window });
    expect(run.calls.map((c) => c.status)).toEqual(["verified"]);
    expect(run.alerting).toBe(true);
  });
});
