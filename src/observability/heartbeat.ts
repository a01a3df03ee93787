import { WORKER_ROLES, parseWorkerRoles, type WorkerRole } from "../queues/index.js";
import type { RedisClient } from "../redis/index.js";

/**
 * Worker heartbeats: each worker process writes its id and roles (`<id>@<roles>`, e.g. `pod-7-1@control`) with the
 * time into one sorted set every few seconds; a worker whose last beat is older than `HEARTBEAT_TTL_MS` is not
 * alive. One key (no hash tag needed), so it works the same on Redis Cluster. Roles are written out, never as `all`:
 * `all` meant something else to each version (docs/operations.md "Worker roles").
 */
export const HEARTBEAT_EVERY_MS = 5_000;
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_EVERY_MS;
/** Beats older than this are deleted when read: the set never grows with restarted pods. */
const FORGET_AFTER_MS = 3_600_000;

export const heartbeatKey = (prefix: string) => `${prefix}:workers:heartbeat`;

/** A worker's member of the heartbeat set: its id and its roles, each named. */
export const heartbeatMember = (workerId: string, roles: readonly WorkerRole[]) => `${workerId}@${roles.join(",")}`;

/**
 * What a beat of `@all`, or with no roles, meant: the workers that wrote those (before the periodic jobs had their own
 * queue and role) ran every queue they knew, which was not the `operations` queue. Counting them as serving it would
 * call the periodic jobs served during a rolling upgrade while only old workers, which never take them, are alive.
 */
const ROLES_OF_OLDER_WORKERS: readonly WorkerRole[] = ["control", "ingest", "retrieval"];

/**
 * The id and roles of a member. `@all` or none: an older worker's (ROLES_OF_OLDER_WORKERS); roles this version
 * does not know (a newer worker's): every role.
 */
export function parseMember(member: string): { id: string; roles: WorkerRole[] } {
  const at = member.lastIndexOf("@");
  if (at < 0) return { id: member, roles: [...ROLES_OF_OLDER_WORKERS] };
  const id = member.slice(0, at);
  const label = member.slice(at + 1);
  if (label === "all") return { id, roles: [...ROLES_OF_OLDER_WORKERS] };
  return { id, roles: parseWorkerRoles(label) ?? [...WORKER_ROLES] };
}

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
  worker: { id: string; roles: readonly WorkerRole[] },
  onError: (error: unknown) => void,
  everyMs = HEARTBEAT_EVERY_MS,
): Heartbeat {
  let last: number | undefined;
  const member = heartbeatMember(worker.id, worker.roles);
  const beat = async () => {
    const now = Date.now();
    await redis.zadd(heartbeatKey(prefix), now, member);
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
      await redis.zrem(heartbeatKey(prefix), member).catch(onError);
    },
  };
}

export interface AliveWorker {
  id: string;
  /** The roles it runs (docs/operations.md "Worker roles"). */
  roles: WorkerRole[];
  lastBeatSecondsAgo: number;
}

/** Workers whose last beat is within the TTL, most recent first. */
export async function aliveWorkers(redis: RedisClient, prefix: string, now = Date.now()): Promise<AliveWorker[]> {
  const key = heartbeatKey(prefix);
  await redis.zremrangebyscore(key, "-inf", now - FORGET_AFTER_MS);
  const entries = await redis.zrevrangebyscore(key, "+inf", now - HEARTBEAT_TTL_MS, "WITHSCORES");
  const alive: AliveWorker[] = [];
  for (let i = 0; i + 1 < entries.length; i += 2) {
    alive.push({
      ...parseMember(entries[i]!),
      lastBeatSecondsAgo: Math.max(0, (now - Number(entries[i + 1])) / 1000),
    });
  }
  return alive;
}

/** The roles no alive worker serves (in WORKER_ROLES order): their queues grow until one starts. */
export function unservedRoles(alive: readonly Pick<AliveWorker, "roles">[]): WorkerRole[] {
  return WORKER_ROLES.filter((role) => !alive.some((worker) => worker.roles.includes(role)));
}

/**
 * The readiness check of roles: degraded (still ready) while some role has no alive worker, saying which; the
 * process answering is never taken out of service for it — a webhook keeps accepting events, which wait in Redis.
 */
export async function rolesReadiness(redis: RedisClient, prefix: string): Promise<{ degraded: string } | undefined> {
  const alive = await aliveWorkers(redis, prefix);
  if (alive.length === 0) return { degraded: "no worker alive: events and recordings wait in Redis" };
  const unserved = unservedRoles(alive);
  return unserved.length === 0
    ? undefined
    : { degraded: `no worker alive serves ${unserved.join(", ")}: its queues wait (WORKER_ROLE)` };
}
