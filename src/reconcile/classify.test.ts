import { describe, expect, it } from "vitest";
import type { LedgerEntry } from "../ledger/index.js";
import { organisation } from "../policy/test-fixtures.js";
import { reconcile, type ArchivedRecording, type ReconcileStatus } from "./classify.js";
import type { AcsLogRecord } from "./records.js";

// One call a row: what ACS logged, what our ledger and archive hold, and the status reconciliation must give.
// Alice and Bob are in the desk team (src/policy/test-fixtures.ts); ACS logs them as `acs:r_alice` / `acs:r_bob`.

const participant = (correlationId: string, identifier: string): AcsLogRecord => ({
  kind: "call-summary",
  correlationId,
  identifier,
  callStartTime: "2026-12-04T10:00:00.000Z",
  callDurationSeconds: 120,
});
const recordingLog = (
  correlationId: string,
  recordingId: string,
  chunkCount: number,
  lengthSeconds: number,
): AcsLogRecord => ({
  kind: "recording-summary",
  correlationId,
  recordingId,
  chunkCount,
  recordingLengthSeconds: lengthSeconds,
  endReason: "CallEnded",
});
const entry = (correlationId: string, change: Partial<LedgerEntry>): LedgerEntry => ({
  serverCallId: `server-${correlationId}`,
  correlationId,
  outcome: "recorded",
  teamId: "desk",
  ruleId: "all",
  updatedAt: "2026-12-04T10:05:00.000Z",
  ...change,
});

interface Row {
  name: string;
  records: AcsLogRecord[];
  ledger: LedgerEntry[];
  archived?: Record<string, ArchivedRecording>;
  status: ReconcileStatus | "out of scope";
  detail?: RegExp;
}

const C = "corr-1";
const rows: Row[] = [
  {
    name: "a recorded call whose every chunk and second is archived",
    records: [participant(C, "acs:r_alice"), participant(C, "acs:r_stranger"), recordingLog(C, "rec-1", 2, 118)],
    ledger: [entry(C, { recordingId: "rec-1" })],
    archived: { "rec-1": { chunkCount: 2, durationSeconds: 117 } },
    status: "verified",
    detail: /1 recording\(s\) complete/,
  },
  {
    name: "a call our webhook never heard of",
    records: [participant(C, "acs:r_bob"), recordingLog(C, "rec-1", 1, 60)],
    ledger: [entry("another-call", {})],
    status: "never-seen",
  },
  {
    name: "a recording with a chunk missing",
    records: [participant(C, "acs:r_alice"), recordingLog(C, "rec-1", 3, 180)],
    ledger: [entry(C, {})],
    archived: { "rec-1": { chunkCount: 2, durationSeconds: 180 } },
    status: "incomplete",
    detail: /rec-1: 2 of 3 chunks archived/,
  },
  {
    name: "a recording shorter than ACS says, beyond the tolerance",
    records: [participant(C, "acs:r_alice"), recordingLog(C, "rec-1", 1, 120)],
    ledger: [entry(C, {})],
    archived: { "rec-1": { chunkCount: 1, durationSeconds: 100 } },
    status: "incomplete",
    detail: /100 s archived, ACS recorded 120 s/,
  },
  {
    name: "a recording shorter than ACS says, within the tolerance",
    records: [participant(C, "acs:r_alice"), recordingLog(C, "rec-1", 1, 120)],
    ledger: [entry(C, {})],
    archived: { "rec-1": { chunkCount: 1, durationSeconds: 118 } },
    status: "verified",
  },
  {
    name: "a second recording ACS made (a restart) that we never archived",
    records: [participant(C, "acs:r_alice"), recordingLog(C, "rec-1", 1, 60), recordingLog(C, "rec-2", 1, 60)],
    ledger: [entry(C, {})],
    archived: { "rec-1": { chunkCount: 1, durationSeconds: 60 } },
    status: "incomplete",
    detail: /rec-2: not archived by us/,
  },
  {
    name: "a call exempted by a rule",
    records: [participant(C, "acs:r_alice")],
    ledger: [entry(C, { outcome: "exempt", ruleId: "welfare-line", reason: "exempt: Employee assistance line" })],
    status: "exempt",
    detail: /Employee assistance line/,
  },
  {
    name: "a call refused while ringing",
    records: [participant(C, "acs:r_alice")],
    ledger: [
      entry(C, {
        outcome: "failed",
        actions: [{ at: "2026-12-04T10:00:01Z", trigger: "incoming-call", action: "reject", reason: "unrecordable" }],
      }),
    ],
    status: "enforced",
    detail: /reject \(incoming-call\): unrecordable/,
  },
  {
    name: "a call that failed with no enforcement",
    records: [participant(C, "acs:r_alice")],
    ledger: [entry(C, { outcome: "failed", reason: "ingest gave up" })],
    status: "incomplete",
    detail: /ledger: failed: ingest gave up/,
  },
  {
    name: "a recorded call ACS has not yet published a recording summary for",
    records: [participant(C, "acs:r_alice")],
    ledger: [entry(C, {})],
    status: "verified",
    detail: /no ACS recording summary/,
  },
  {
    name: "a call with no team member",
    records: [participant(C, "acs:r_stranger"), participant(C, "null-pstn-guid")],
    ledger: [],
    status: "out of scope",
  },
  {
    name: "a team member known by a number (matched as isMember does, through the team's number entries)",
    records: [participant(C, "4:+442071234567"), participant(C, "acs:r_stranger")],
    ledger: [entry(C, { outcome: "exempt", reason: "exempt: test" })],
    status: "exempt",
  },
  {
    name: "the same recording read twice counts once",
    records: [participant(C, "acs:r_alice"), recordingLog(C, "rec-1", 1, 30), recordingLog(C, "rec-1", 1, 30)],
    ledger: [entry(C, {})],
    archived: { "rec-1": { chunkCount: 1, durationSeconds: 30 } },
    status: "verified",
    detail: /^1 recording/,
  },
];

describe("reconcile", () => {
  it.each(rows)("$name → $status", (row) => {
    const report = reconcile({
      records: row.records,
      ledger: row.ledger,
      archived: new Map(Object.entries(row.archived ?? {})),
      policies: organisation(),
      toleranceSeconds: 2,
    });
    if (row.status === "out of scope") {
      expect(report.calls).toEqual([]);
      expect(report.outOfScope).toBe(1);
      return;
    }
    expect(report.calls).toHaveLength(1);
    const [call] = report.calls;
    expect(call!.status).toBe(row.status);
    expect(call!.teams).toEqual(["desk"]);
    if (row.detail) expect(call!.detail).toMatch(row.detail);
    expect(report.counts[row.status]).toBe(1);
  });

  it("keeps only the calls of the team asked for, and counts each status", () => {
    const report = reconcile({
      records: [
        participant("c-desk", "acs:r_alice"),
        participant("c-legal", "acs:r_erin"),
        participant("c-none", "acs:x"),
      ],
      ledger: [entry("c-desk", {})],
      archived: new Map(),
      policies: organisation(),
      team: "legal",
      toleranceSeconds: 2,
    });
    expect(report.calls.map((c) => [c.correlationId, c.status, c.teams])).toEqual([
      ["c-legal", "never-seen", ["legal"]],
    ]);
    expect(report.counts).toEqual({ verified: 0, exempt: 0, enforced: 0, incomplete: 0, "never-seen": 1 });
    expect(report.outOfScope).toBe(1);
  });

  it("keeps only the calls that started in the window asked for", () => {
    const late = { ...participant("c-late", "acs:r_alice"), callStartTime: "2026-12-04T12:00:00.000Z" };
    const report = reconcile({
      records: [participant("c-in", "acs:r_alice"), late],
      ledger: [],
      archived: new Map(),
      policies: organisation(),
      toleranceSeconds: 2,
      startedIn: { from: new Date("2026-12-04T10:00:00Z"), to: new Date("2026-12-04T12:00:00Z") },
    });
    expect(report.calls.map((c) => c.correlationId)).toEqual(["c-in"]);
  });
});
