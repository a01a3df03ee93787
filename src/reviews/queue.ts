/**
 * The review queue's states (pure): what a submitted review does to its recording's queue item
 * (docs/reviews.md "The queue").
 */
import type { FlagKind } from "./review.js";
import type { QueueReason } from "./sampling.js";
import { nextReviewer } from "./sampling.js";

export const QUEUE_STATUSES = ["to-review", "in-progress", "done", "disputed"] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export interface QueueItem {
  recordingId: string;
  serverCallId: string;
  team: string;
  agent: string;
  startedAt: string;
  reasons: QueueReason[];
  status: QueueStatus;
  /** The reviewer (API token name) it is assigned to; null: anyone of the team. */
  assignee: string | null;
  queuedAt: string;
  updatedAt: string;
  /** The reviews submitted for it, oldest first. */
  reviewIds: string[];
}

/**
 * The item after a review of its recording was submitted by `reviewer`:
 * - a `dispute` flag: disputed (until a later version or review without one);
 * - another flag, the team's rules take flagged recordings, and only one reviewer has reviewed it so far: back to
 *   "to-review" for a second look, reason `flagged`, assigned to a listed reviewer who has not reviewed it;
 * - otherwise done.
 */
export function itemAfterReview(
  item: QueueItem,
  review: { reviewId: string; reviewer: string; flags: readonly FlagKind[]; at: string },
  rules: {
    flagged: boolean;
    reviewers: readonly string[];
    reviewedBy: readonly string[];
    open: ReadonlyMap<string, number>;
  },
): QueueItem {
  const reviewIds = item.reviewIds.includes(review.reviewId) ? item.reviewIds : [...item.reviewIds, review.reviewId];
  const base = { ...item, reviewIds, updatedAt: review.at };
  if (review.flags.includes("dispute")) return { ...base, status: "disputed" };
  const reviewedBy = new Set([...rules.reviewedBy, review.reviewer]);
  if (review.flags.length > 0 && rules.flagged && reviewedBy.size < 2) {
    const others = rules.reviewers.filter((r) => !reviewedBy.has(r));
    return {
      ...base,
      status: "to-review",
      reasons: item.reasons.includes("flagged") ? item.reasons : [...item.reasons, "flagged"],
      assignee: nextReviewer(others, rules.open) ?? null,
    };
  }
  return { ...base, status: "done" };
}

/** A reviewer's queue: their own open items first, then the team's unassigned ones, then the rest; oldest first. */
export function orderQueue(items: readonly QueueItem[], reviewer: string | undefined): QueueItem[] {
  const rank = (item: QueueItem) => {
    const open = item.status === "to-review" || item.status === "in-progress" || item.status === "disputed";
    if (open && reviewer !== undefined && item.assignee === reviewer) return 0;
    if (open && item.assignee === null) return 1;
    if (open) return 2;
    return 3;
  };
  return [...items].sort(
    (a, b) => rank(a) - rank(b) || a.startedAt.localeCompare(b.startedAt) || a.recordingId.localeCompare(b.recordingId),
  );
}

/**
 * The item once `reviewer` opens it from their queue: in progress (a disputed one stays disputed), assigned to
 * them when it was assigned to nobody, else kept by its assignee. Undefined when its review is done (a new version
 * of the review changes it, not a start).
 */
export function itemStarted(item: QueueItem, reviewer: string, at: string): QueueItem | undefined {
  if (item.status === "done") return undefined;
  return {
    ...item,
    status: item.status === "disputed" ? item.status : "in-progress",
    assignee: item.assignee ?? reviewer,
    updatedAt: at,
  };
}

/** The item assigned to `reviewer` (null: to anyone of the team); its status is left as it is. */
export function itemAssigned(item: QueueItem, reviewer: string | null, at: string): QueueItem {
  return { ...item, assignee: reviewer, updatedAt: at };
}
