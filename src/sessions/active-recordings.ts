import type { RedisClient } from "../redis/index.js";

/**
 * Calls whose recording is active now, cluster-wide: one sorted set (call → when it became active), kept by the
 * session store as RecordingStateChanged and CallEnded are folded in, counted by /metrics. Its own key, outside
 * any call's hash slot, so it is written apart from the call's transaction (Redis Cluster); the store writes it
 * again when the call's facts moved on meanwhile.
 */
export const activeRecordingsKey = (prefix: string) => `${prefix}:recordings:active`;

/** A recording that has been "active" this long without any news is assumed lost (a stop event never came). */
const STALE_AFTER_MS = 7 * 24 * 3_600_000;

/** Counts the call as recording (kept from when it first became active), or not. */
export async function markRecordingActive(
  redis: RedisClient,
  prefix: string,
  serverCallId: string,
  active: boolean,
): Promise<void> {
  if (active) await redis.zadd(activeRecordingsKey(prefix), "NX", Date.now(), serverCallId);
  else await redis.zrem(activeRecordingsKey(prefix), serverCallId);
}

export async function countActiveRecordings(redis: RedisClient, prefix: string, now = Date.now()): Promise<number> {
  const key = activeRecordingsKey(prefix);
  await redis.zremrangebyscore(key, "-inf", now - STALE_AFTER_MS);
  return redis.zcard(key);
}
