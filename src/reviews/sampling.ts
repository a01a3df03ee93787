/**
 * Which recordings go to the review queue (pure): a team's sampling rules (its scorecard file's `sampling`)
 * applied to archived recordings, in the order they are considered (docs/reviews.md "The queue").
 */
import type { SamplingRules } from "./scorecard.js";

export const QUEUE_REASONS = ["agent-sample", "paused", "enforced", "flagged"] as const;
export type QueueReason = (typeof QUEUE_REASONS)[number];

/** What selection looks at of one recording. */
export interface Candidate {
  recordingId: string;
  /** The team member on the call (docs/reviews.md "Agents"); "unknown" when none is. */
  agent: string;
  startedAt: string;
  /** The recording holds a pause (manifest `pauses`). */
  paused: boolean;
  /** An enforcement action was taken on its call (ledger `actions`). */
  enforced: boolean;
  /** A submitted review flagged it. */
  flagged: boolean;
}

export interface Selection {
  recordingId: string;
  reasons: QueueReason[];
  /** The agent and ISO week it counts against when sampled per agent. */
  agentWeek: string;
}

/** ISO 8601 week of an instant, in UTC: `2026-W49` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(instant: string | Date): string {
  const date = new Date(instant);
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, "0")}`;
}

export const agentWeekOf = (candidate: Pick<Candidate, "agent" | "startedAt">) =>
  `${candidate.agent}|${isoWeek(candidate.startedAt)}`;

/**
 * The candidates the rules select, each with why, in order. `counted` holds how many recordings each agent-week
 * (agentWeekOf) already has in the queue by sampling; it is not changed (the result says what to add). A
 * recording selected for another reason also counts toward its agent's sample: the agent is reviewed that week
 * either way. An agent of "unknown" is never sampled per agent (no one to coach), only for the other reasons.
 */
export function selectForReview(
  rules: SamplingRules,
  candidates: readonly Candidate[],
  counted: ReadonlyMap<string, number>,
): Selection[] {
  const counts = new Map(counted);
  const selected: Selection[] = [];
  for (const candidate of candidates) {
    const agentWeek = agentWeekOf(candidate);
    const reasons: QueueReason[] = [];
    const sofar = counts.get(agentWeek) ?? 0;
    if (candidate.agent !== "unknown" && sofar < rules.perAgentPerWeek) reasons.push("agent-sample");
    if (rules.paused && candidate.paused) reasons.push("paused");
    if (rules.enforced && candidate.enforced) reasons.push("enforced");
    if (rules.flagged && candidate.flagged) reasons.push("flagged");
    if (reasons.length === 0) continue;
    if (candidate.agent !== "unknown") counts.set(agentWeek, sofar + 1);
    selected.push({ recordingId: candidate.recordingId, reasons, agentWeek });
  }
  return selected;
}

/** The reviewer a new queue item goes to: the listed reviewer with the fewest open items (ties: list order). */
export function nextReviewer(reviewers: readonly string[], open: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  for (const reviewer of reviewers)
    if (best === undefined || (open.get(reviewer) ?? 0) < (open.get(best) ?? 0)) best = reviewer;
  return best;
}
