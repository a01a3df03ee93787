/**
 * ACS keeps a recording for 24 hours (reference §6, newest statement): a chunk not archived by then is lost.
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
