import type { RedisClient } from "../redis/index.js";

/**
 * Worker heartbeats: each worker process writes its id with the time into one sorted set every few seconds;
 * a worker whose last beat is older than `HEARTBEAT_TTL_MS` is not alive. One key (no hash tag needed), so it
 * works the same on Redis Cluster.
 */
export const HEARTBEAT_EVERY_MS = 5_000;
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_EVERY_MS;
/** Beats older than this are deleted when read: the set never grows with restarted pods. */
const FORGET_AFTER_MS = 3_600_000;

export const heartbeatKey = (prefix: string) => `${prefix}:workers:heartbeat`;

export interface Heartbeat {
  /** Resolves once the first beat is written. */
  started: Promise<void>;
  /** When the last beat was written (ms), or undefined before the first. */
  lastBeatAt(): number | undefined;
  /** Stops beating and removes this worker from the set (a clean stop is not an outage). */
  stop(): Promise<void>;
}

export function startHeartbeat(
  redis: RedisClient,
  prefix: string,
  workerId: string,
  onError: (error: unknown) => void,
  everyMs = HEARTBEAT_EVERY_MS,
): Heartbeat {
  let last: number | undefined;
  const beat = async () => {
    const now = Date.now();
    await redis.zadd(heartbeatKey(prefix), now, workerId);
    last = now;
  };
  const started = beat().catch(onError);
  const timer = setInterval(() => void beat().catch(onError), everyMs);
  timer.unref();
  return {
    started,
    lastBeatAt: () => last,
    async stop() {
      clearInterval(timer);
      await redis.zrem(heartbeatKey(prefix), workerId).catch(onError);
    },
  };
}

export interface AliveWorker {
  id: string;
  lastBeatSecondsAgo: number;
}

/** Workers whose last beat is within the TTL, most recent first. */
export async function aliveWorkers(redis: RedisClient, prefix: string, now = Date.now()): Promise<AliveWorker[]> {
  const key = heartbeatKey(prefix);
  await redis.zremrangebyscore(key, "-inf", now - FORGET_AFTER_MS);
  const entries = await redis.zrevrangebyscore(key, "+inf", now - HEARTBEAT_TTL_MS, "WITHSCORES");
  const alive: AliveWorker[] = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    alive.push({ id: entries[i]!, lastBeatSecondsAgo: Math.max(0, (now - Number(entries[i + 1])) / 1000) });
  }
  return alive;
}
