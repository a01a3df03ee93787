import type { LedgerEntry } from "../ledger/index.js";
import { isMember, type TeamPolicy } from "../policy/index.js";
import { rawIdsOfIdentifier, type AcsLogRecord, type RecordingSummaryRecord } from "./records.js";

/**
 * Reconciliation's pure core (docs/reconciliation.md "How we classify"): ACS's records grouped per call
 * (correlationId), each call with a team member on it classified against our ledger and archived recordings.
 */

export const STATUSES = ["verified", "exempt", "enforced", "incomplete", "never-seen"] as const;
export type ReconcileStatus = (typeof STATUSES)[number];
/** The statuses that mean a call that had to be recorded may not be: they alert. */
export const ALERTING: readonly ReconcileStatus[] = ["incomplete", "never-seen"];

/** What we archived of one recording (from its manifest or the listing index). */
export interface ArchivedRecording {
  chunkCount: number;
  durationSeconds: number;
}

export interface RecordingCheck {
  recordingId: string;
  acs: { chunkCount: number; lengthSeconds: number; endReason?: string | undefined };
  ours?: ArchivedRecording;
  /** Why it does not match; undefined when it does. */
  problem?: string;
}

export interface ReconciledCall {
  correlationId: string;
  status: ReconcileStatus;
  /** Teams with a member on the call (by ACS's identifiers). */
  teams: string[];
  startedAt?: string | undefined;
  durationSeconds?: number | undefined;
  /** Our calls carrying this correlationId. */
  serverCallIds: string[];
  ruleId?: string | undefined;
  detail: string;
  recordings: RecordingCheck[];
}

export interface ReconcileReport {
  calls: ReconciledCall[];
  counts: Record<ReconcileStatus, number>;
  /** Calls in ACS's logs with no team member (by identifier): not ours to reconcile. */
  outOfScope: number;
}

export interface ReconcileInput {
  records: Iterable<AcsLogRecord>;
  /** Ledger entries that may carry the calls' correlationIds. */
  ledger: Iterable<LedgerEntry>;
  /** What we archived, by recordingId. */
  archived: ReadonlyMap<string, ArchivedRecording>;
  policies: readonly TeamPolicy[];
  /** Only calls this team took part in. */
  team?: string | undefined;
  /** How much shorter than ACS's RecordingLength ours may be (chunk boundaries, rounding). */
  toleranceSeconds: number;
  /**
   * Only calls that started in this window (records are read for longer, since a recording summary is published
   * after the call): a call whose start ACS did not log is kept.
   */
  startedIn?: { from: Date; to: Date } | undefined;
}

interface CallGroup {
  correlationId: string;
  identifiers: Set<string>;
  startedAt?: string | undefined;
  durationSeconds?: number | undefined;
  recordings: Map<string, RecordingSummaryRecord>;
}

function groupByCall(records: Iterable<AcsLogRecord>): Map<string, CallGroup> {
  const calls = new Map<string, CallGroup>();
  for (const record of records) {
    let call = calls.get(record.correlationId);
    if (!call) {
      call = { correlationId: record.correlationId, identifiers: new Set(), recordings: new Map() };
      calls.set(record.correlationId, call);
    }
    if (record.kind === "call-summary") {
      if (record.identifier) call.identifiers.add(record.identifier);
      // Participants' records may differ slightly (each endpoint's own clock): the earliest start, longest call.
      if (record.callStartTime && (!call.startedAt || record.callStartTime < call.startedAt))
        call.startedAt = record.callStartTime;
      if (record.callDurationSeconds !== undefined)
        call.durationSeconds = Math.max(call.durationSeconds ?? 0, record.callDurationSeconds);
    } else {
      // The same recording read twice (overlapping windows, a re-read hour) counts once.
      call.recordings.set(record.recordingId, record);
    }
  }
  return calls;
}

/**
 * Which teams a raw id belongs to, as `isMember` decides, without scanning every member list for every
 * participant (100 000 records against teams of a thousand members: bench/reconcile.ts). A member entry that is
 * not a number pattern matches only the same raw id, so those go in a set; number patterns can match only a PSTN
 * raw id (`4:+…`), which is still asked of `isMember`.
 */
function membershipOf(policies: readonly TeamPolicy[]): (rawId: string) => string[] {
  const indexed = policies.map((policy) => ({
    policy,
    exact: new Set(policy.members.filter((entry) => !entry.startsWith("+"))),
    hasPatterns: policy.members.some((entry) => entry.startsWith("+")),
  }));
  const known = new Map<string, string[]>();
  return (rawId) => {
    let teams = known.get(rawId);
    if (!teams) {
      teams = indexed
        .filter(
          ({ policy, exact, hasPatterns }) =>
            exact.has(rawId) || (hasPatterns && rawId.startsWith("4:") && isMember(policy, rawId)),
        )
        .map(({ policy }) => policy.team.id);
      known.set(rawId, teams);
    }
    return teams;
  };
}

function teamsOf(call: CallGroup, teamsOfRawId: (rawId: string) => string[]): string[] {
  const teams = new Set([...call.identifiers].flatMap(rawIdsOfIdentifier).flatMap(teamsOfRawId));
  return [...teams].sort();
}

function checkRecording(
  acs: RecordingSummaryRecord,
  ours: ArchivedRecording | undefined,
  toleranceSeconds: number,
): RecordingCheck {
  const base = {
    recordingId: acs.recordingId,
    acs: { chunkCount: acs.chunkCount, lengthSeconds: acs.recordingLengthSeconds, endReason: acs.endReason },
  };
  if (!ours) return { ...base, problem: "not archived by us" };
  const checked = { ...base, ours };
  if (ours.chunkCount < acs.chunkCount)
    return { ...checked, problem: `${ours.chunkCount} of ${acs.chunkCount} chunks archived` };
  if (ours.durationSeconds + toleranceSeconds < acs.recordingLengthSeconds)
    return {
      ...checked,
      problem: `${round(ours.durationSeconds)} s archived, ACS recorded ${round(acs.recordingLengthSeconds)} s`,
    };
  return checked;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const round = (seconds: number) => Math.round(seconds * 10) / 10;
const ENFORCING_ACTIONS = new Set(["reject", "hang-up"]);

function classify(
  call: CallGroup,
  entries: readonly LedgerEntry[],
  archived: ReadonlyMap<string, ArchivedRecording>,
  toleranceSeconds: number,
): Pick<ReconciledCall, "status" | "detail" | "recordings" | "ruleId"> {
  const recordings = [...call.recordings.values()]
    .sort((a, b) => byText(a.recordingId, b.recordingId))
    .map((acs) => checkRecording(acs, archived.get(acs.recordingId), toleranceSeconds));
  if (entries.length === 0)
    return { status: "never-seen", detail: "no ledger entry carries this correlationId", recordings };
  const ruleId = entries.find((e) => e.ruleId)?.ruleId;
  const enforcement = entries.flatMap((e) => e.actions ?? []).find((a) => ENFORCING_ACTIONS.has(a.action));
  if (enforcement)
    return {
      status: "enforced",
      detail: `${enforcement.action} (${enforcement.trigger}): ${enforcement.reason}`,
      recordings,
      ruleId,
    };
  const outcomes = new Set(entries.map((e) => e.outcome));
  const broken = recordings.filter((r) => r.problem);
  if (broken.length > 0)
    return {
      status: "incomplete",
      detail: broken.map((r) => `${r.recordingId}: ${r.problem}`).join("; "),
      recordings,
      ruleId,
    };
  if (outcomes.has("recorded"))
    return {
      status: "verified",
      detail:
        recordings.length === 0
          ? "recorded; no ACS recording summary (yet) to compare with"
          : `${recordings.length} recording(s) complete`,
      recordings,
      ruleId,
    };
  const unfinished = entries.find((e) => e.outcome === "failed" || e.outcome === "pending");
  if (unfinished)
    return {
      status: "incomplete",
      detail: `ledger: ${unfinished.outcome}${unfinished.reason ? `: ${unfinished.reason}` : ""}`,
      recordings,
      ruleId,
    };
  const exempt = entries.find((e) => e.outcome === "exempt") ?? entries[0]!;
  return { status: "exempt", detail: `${exempt.outcome}: ${exempt.reason ?? ""}`.trim(), recordings, ruleId };
}

function startedWithin(startedAt: string, window: { from: Date; to: Date }): boolean {
  const at = Date.parse(startedAt);
  return at >= window.from.getTime() && at < window.to.getTime();
}

export function reconcile(input: ReconcileInput): ReconcileReport {
  const byCorrelation = new Map<string, LedgerEntry[]>();
  for (const entry of input.ledger) {
    if (!entry.correlationId) continue;
    const list = byCorrelation.get(entry.correlationId);
    if (list) list.push(entry);
    else byCorrelation.set(entry.correlationId, [entry]);
  }
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<ReconcileStatus, number>;
  const calls: ReconciledCall[] = [];
  let outOfScope = 0;
  const teamsOfRawId = membershipOf(input.policies);
  for (const call of groupByCall(input.records).values()) {
    const teams = teamsOf(call, teamsOfRawId);
    if (teams.length === 0) {
      outOfScope++;
      continue;
    }
    if (input.team && !teams.includes(input.team)) continue;
    if (input.startedIn && call.startedAt && !startedWithin(call.startedAt, input.startedIn)) continue;
    const entries = byCorrelation.get(call.correlationId) ?? [];
    const result = classify(call, entries, input.archived, input.toleranceSeconds);
    counts[result.status]++;
    calls.push({
      correlationId: call.correlationId,
      teams,
      startedAt: call.startedAt,
      durationSeconds: call.durationSeconds,
      serverCallIds: entries.map((e) => e.serverCallId).sort(),
      ...result,
    });
  }
  // Plain code-unit order (ISO times sort as text): localeCompare's collation cost most of the run (bench/reconcile.ts).
  calls.sort((a, b) => byText(a.startedAt ?? "", b.startedAt ?? "") || byText(a.correlationId, b.correlationId));
  return { calls, counts, outOfScope };
}
