/**
 * Review reports (pure): scores per agent and per team, per ISO week of the recording, from the latest version
 * of each review (docs/reviews.md "Reports"); and the same as CSV.
 */
import type { ReviewDocument } from "./review.js";
import { isoWeek } from "./sampling.js";

export interface ReportRow {
  team: string;
  week: string;
  /** The agent, or null for the team's own row (every agent). */
  agent: string | null;
  /** The agent's name in the team's directory, where the API knows it (not set by the pure report). */
  agentName?: string | null;
  reviews: number;
  /** Mean of the scored reviews' percentages, rounded to 0.1; null when none had a score. */
  meanPercent: number | null;
  passed: number;
  failed: number;
  criticalFailed: number;
  flagged: number;
}

type Latest = Pick<ReviewDocument, "team" | "agent" | "recordingStartedAt" | "score" | "flags">;

/** Rows sorted by team, week, then the team row before its agents (by name). */
export function reviewReport(reviews: readonly Latest[]): ReportRow[] {
  const groups = new Map<string, { row: ReportRow; sum: number; scored: number }>();
  const add = (team: string, week: string, agent: string | null, review: Latest) => {
    const key = JSON.stringify([team, week, agent]);
    let group = groups.get(key);
    if (!group) {
      group = {
        row: { team, week, agent, reviews: 0, meanPercent: null, passed: 0, failed: 0, criticalFailed: 0, flagged: 0 },
        sum: 0,
        scored: 0,
      };
      groups.set(key, group);
    }
    group.row.reviews += 1;
    if (review.score.percent !== null) {
      group.sum += review.score.percent;
      group.scored += 1;
    }
    if (review.score.passed) group.row.passed += 1;
    else group.row.failed += 1;
    if (review.score.criticalFailed.length > 0) group.row.criticalFailed += 1;
    if (review.flags.length > 0) group.row.flagged += 1;
  };
  for (const review of reviews) {
    const week = isoWeek(review.recordingStartedAt);
    add(review.team, week, null, review);
    add(review.team, week, review.agent, review);
  }
  const rows = [...groups.values()].map(({ row, sum, scored }) => ({
    ...row,
    meanPercent: scored === 0 ? null : Math.round((sum / scored) * 10) / 10,
  }));
  return rows.sort(
    (a, b) =>
      a.team.localeCompare(b.team) ||
      a.week.localeCompare(b.week) ||
      (a.agent === null ? -1 : b.agent === null ? 1 : a.agent.localeCompare(b.agent)),
  );
}

const CSV_COLUMNS = [
  "team",
  "week",
  "agent",
  "agentName",
  "reviews",
  "meanPercent",
  "passed",
  "failed",
  "criticalFailed",
  "flagged",
] as const;

/**
 * RFC 4180 CSV (CRLF line ends, fields with a comma, quote or line break quoted). A field starting with =, +, -
 * or @ is prefixed with ' so that a spreadsheet does not run it as a formula (agent ids come from calls).
 */
export function reportCsv(rows: readonly ReportRow[]): string {
  const field = (value: string | number | null) => {
    let text = value === null ? "" : String(value);
    if (typeof value === "string" && /^[=+\-@]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = [CSV_COLUMNS.join(",")];
  for (const row of rows)
    lines.push(
      CSV_COLUMNS.map((c) =>
        field(c === "agent" ? (row.agent ?? "(team)") : c === "agentName" ? (row.agentName ?? null) : row[c]),
      ).join(","),
    );
  return `${lines.join("\r\n")}\r\n`;
}
