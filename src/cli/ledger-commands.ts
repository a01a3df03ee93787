import type { Ledger, LedgerEntry, QuarantineEntry } from "../ledger/index.js";
import type { Output } from "./policy-commands.js";

// `recorder ledger gaps --since …`: calls that should have a recording and do not (failed, or still
// pending past the grace period after the call ended), and recordings archived in the quarantine area that
// are not yet assigned to their call (docs/archive.md).

/** `--since`: an ISO 8601 time, or a duration back from now such as `24h`, `7d`, `90m`. */
export function parseSince(value: string, now: Date): Date | undefined {
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as "m" | "h" | "d"];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time);
}

export function describeGap(entry: LedgerEntry): string {
  return [
    entry.endedAt ?? entry.updatedAt,
    entry.outcome,
    entry.serverCallId,
    entry.teamId ? `team=${entry.teamId}` : "",
    entry.ruleId ? `rule=${entry.ruleId}` : "",
    entry.recordingId ? `recording=${entry.recordingId}` : "",
    entry.reason ?? "",
  ]
    .filter((part) => part !== "")
    .join("  ");
}

export function describeQuarantined(entry: QuarantineEntry): string {
  return [
    entry.quarantinedAt,
    "quarantined",
    `recording=${entry.recordingId}`,
    entry.callId ? `acs-call-id=${entry.callId}` : "",
    entry.serverCallId ? `call=${entry.serverCallId}` : "",
    entry.state === "archiving" ? "(still archiving)" : "",
    entry.reason,
    `→ recorder recordings assign ${entry.recordingId} --call <serverCallId>`,
  ]
    .filter((part) => part !== "")
    .join("  ");
}

export async function gapsCommand(
  ledger: Pick<Ledger, "gaps" | "quarantineGaps">,
  options: { since: string; graceMinutes: string; json?: boolean },
  io: Output,
  now: Date = new Date(),
): Promise<number> {
  const since = parseSince(options.since, now);
  const graceMinutes = Number(options.graceMinutes);
  if (!since || !Number.isFinite(graceMinutes) || graceMinutes < 0) {
    io.err("--since takes an ISO 8601 time or a duration like 24h / 7d; --grace-minutes a number");
    return 2;
  }
  const gaps = await ledger.gaps(since, now, graceMinutes * 60_000);
  const quarantined = await ledger.quarantineGaps(since);
  for (const gap of gaps) io.out(options.json ? JSON.stringify(gap) : describeGap(gap));
  for (const entry of quarantined)
    io.out(options.json ? JSON.stringify({ kind: "quarantined", ...entry }) : describeQuarantined(entry));
  const count = gaps.length + quarantined.length;
  if (!options.json && count === 0) io.out(`no gaps since ${since.toISOString()}`);
  // Exit 1 when there are gaps, so a scheduler or CI can alert on it.
  return count > 0 ? 1 : 0;
}
