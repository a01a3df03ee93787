import { STATUSES, type ReconciledCall } from "./classify.js";
import type { ReconcileRun } from "./run.js";

/** `recorder reconcile`'s output (docs/reconciliation.md): one line per call, then a summary. Pure. */

export function describeCall(call: ReconciledCall): string {
  return [
    call.startedAt ?? "(start unknown)",
    call.status,
    `correlationId=${call.correlationId}`,
    `teams=${call.teams.join(",")}`,
    call.serverCallIds.length > 0 ? `serverCallId=${call.serverCallIds.join(",")}` : "",
    call.ruleId ? `rule=${call.ruleId}` : "",
    call.detail,
  ]
    .filter((part) => part !== "")
    .join("  ");
}

export function describeSummary(run: ReconcileRun): string {
  const counts = STATUSES.map((status) => `${status}=${run.counts[status]}`).join(" ");
  return `${run.window.from} – ${run.window.to}: ${run.calls.length} call(s) with a team member (${counts}); ${run.outOfScope} without; ${run.reads} log blob(s) read`;
}

const CSV_COLUMNS = [
  "correlationId",
  "status",
  "startedAt",
  "durationSeconds",
  "teams",
  "serverCallIds",
  "ruleId",
  "detail",
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLines(calls: readonly ReconciledCall[]): string[] {
  const rows = calls.map((call) =>
    [
      call.correlationId,
      call.status,
      call.startedAt ?? "",
      call.durationSeconds === undefined ? "" : String(call.durationSeconds),
      call.teams.join(";"),
      call.serverCallIds.join(";"),
      call.ruleId ?? "",
      call.detail,
    ]
      .map(csvField)
      .join(","),
  );
  return [CSV_COLUMNS.join(","), ...rows];
}
