/**
 * ACS keeps a recording for 24 hours (docs/acs-payloads.md "Retention"): a chunk not archived by then is lost.
 * Pure: the expiry of a chunk from the moment its RecordingFileStatusUpdated was published, and where a job
 * stands against it. The publication time is a safe lower bound of when ACS's 24 hours began counting
 * only if ACS counts from publication; it may count from the recording's end, a little earlier — hence
 * the at-risk margin.
 */
export const ACS_RETENTION_MS = 24 * 3_600_000;

export function acsExpiry(publishedAt: string): string | undefined {
  const time = Date.parse(publishedAt);
  return Number.isNaN(time) ? undefined : new Date(time + ACS_RETENTION_MS).toISOString();
}

export type DeadlineStatus = "ok" | "at-risk" | "lost";

export function deadlineStatus(expiresAt: string | undefined, now: Date, atRiskMarginMs: number): DeadlineStatus {
  const expiry = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  if (Number.isNaN(expiry)) return "ok";
  if (now.getTime() >= expiry) return "lost";
  return expiry - now.getTime() <= atRiskMarginMs ? "at-risk" : "ok";
}

/** BullMQ priorities run lowest first; 0 would mean "no priority" (a plain list served before every priority). */
export const MOST_URGENT_PRIORITY = 1;
/** A fresh chunk (a full day left) and a chunk whose expiry is unknown: the least urgent band. */
export const LEAST_URGENT_PRIORITY = Math.ceil(ACS_RETENTION_MS / 3_600_000);

/**
 * The ingest priority of a chunk: the hours left before ACS deletes it, rounded up (1 = under an hour left,
 * or already expired; 24 = a full day). A chunk's band only ever rises as time passes, so a sweep that
 * re-applies this moves waiting chunks forward and never back. Within a band BullMQ keeps queue order.
 */
export function ingestPriority(expiresAt: string | undefined, now: Date): number {
  const expiry = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  if (Number.isNaN(expiry)) return LEAST_URGENT_PRIORITY;
  const hoursLeft = Math.ceil((expiry - now.getTime()) / 3_600_000);
  return Math.min(LEAST_URGENT_PRIORITY, Math.max(MOST_URGENT_PRIORITY, hoursLeft));
}

/** What the re-prioritising sweep does with one chunk that is not running yet. */
export interface WaitingChunkReview {
  /** The priority to move it to, when its band has become more urgent than the one it waits in. */
  raiseTo: number | undefined;
  status: DeadlineStatus;
}

/**
 * Reviews a waiting chunk: a more urgent band than it has moves it forward (never back: a priority set by
 * hand stays); 0 (queued without a priority, before this existed) always gets one.
 */
export function reviewWaitingChunk(
  expiresAt: string | undefined,
  currentPriority: number,
  now: Date,
  atRiskMarginMs: number,
): WaitingChunkReview {
  const priority = ingestPriority(expiresAt, now);
  const raise = currentPriority === 0 || priority < currentPriority;
  return { raiseTo: raise ? priority : undefined, status: deadlineStatus(expiresAt, now, atRiskMarginMs) };
}
