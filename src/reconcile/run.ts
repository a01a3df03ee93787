import type { LedgerEntry } from "../ledger/index.js";
import type { TeamPolicy } from "../policy/index.js";
import { ALERTING, reconcile, type ArchivedRecording, type ReconcileReport } from "./classify.js";
import type { ReconcileSource, TimeWindow } from "./source.js";

/** What a reconciliation reads; the CLI, and later the API and the scheduled job, pass their own adapters. */
export interface ReconcileDependencies {
  source: ReconcileSource;
  /** Ledger entries changed at or after a time (every call started in the window changed after its start). */
  ledgerSince(since: Date): Promise<LedgerEntry[]>;
  /** What we archived of a recording (the listing index), undefined when nothing was. */
  archived(recordingId: string): Promise<ArchivedRecording | undefined>;
  policies: readonly TeamPolicy[];
  toleranceSeconds: number;
  /** How long after the window ACS's records are still read: they are published after the call (docs/reconciliation.md). */
  logDelayMs: number;
}

export interface ReconcileRun extends ReconcileReport {
  window: { from: string; to: string };
  /** Records the source could not read: a call may hide behind one. */
  problems: string[];
  /** How many blobs (or queries) were read. */
  reads: number;
  /** Whether anything needs a person: a call incomplete or never seen, or records that could not be read. */
  alerting: boolean;
}

export async function runReconciliation(
  dependencies: ReconcileDependencies,
  request: { window: TimeWindow; team?: string | undefined },
): Promise<ReconcileRun> {
  const { window } = request;
  const readUntil = new Date(window.to.getTime() + dependencies.logDelayMs);
  const [read, ledger] = await Promise.all([
    dependencies.source.read({ from: window.from, to: readUntil }),
    dependencies.ledgerSince(window.from),
  ]);
  const recordingIds = new Set(read.records.flatMap((r) => (r.kind === "recording-summary" ? [r.recordingId] : [])));
  const archived = new Map<string, ArchivedRecording>();
  for (const recordingId of recordingIds) {
    const found = await dependencies.archived(recordingId);
    if (found) archived.set(recordingId, found);
  }
  const report = reconcile({
    records: read.records,
    ledger,
    archived,
    policies: dependencies.policies,
    team: request.team,
    toleranceSeconds: dependencies.toleranceSeconds,
    startedIn: window,
  });
  return {
    ...report,
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    problems: read.problems,
    reads: read.read.length,
    alerting: read.problems.length > 0 || ALERTING.some((status) => report.counts[status] > 0),
  };
}
