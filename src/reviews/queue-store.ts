/**
 * The review queue in Redis (docs/reviews.md "The queue"), per team: the items (a hash by recording id), the
 * recordings the filling job has already considered (a set), and how many each agent-week has by sampling (a
 * hash). Keys of one team share a hash tag. Unlike reviews, the queue is working state, not evidence: who was
 * assigned what is in the audit trail; the statuses follow from the reviews, which reindex re-applies.
 */
import type { RedisClient } from "../redis/index.js";
import type { QueueItem } from "./queue.js";

export interface ReviewQueue {
  /** Adds items not yet in the queue (an existing item is kept as it is); returns those added. */
  add(items: readonly QueueItem[]): Promise<QueueItem[]>;
  get(team: string, recordingId: string): Promise<QueueItem | undefined>;
  put(item: QueueItem): Promise<void>;
  list(team: string): Promise<QueueItem[]>;
  /** Marks recordings considered by the filling job; returns those not considered before. */
  consider(team: string, recordingIds: readonly string[]): Promise<Set<string>>;
  /** Whether the filling job has considered a recording. */
  considered(team: string, recordingIds: readonly string[]): Promise<Set<string>>;
  counts(team: string): Promise<Map<string, number>>;
  count(team: string, agentWeek: string, by: number): Promise<void>;
}

export function createReviewQueue(redis: RedisClient, prefix: string): ReviewQueue {
  const keys = (team: string) => ({
    items: `${prefix}:rq:{${team}}:items`,
    seen: `${prefix}:rq:{${team}}:seen`,
    counts: `${prefix}:rq:{${team}}:counts`,
  });
  return {
    async add(items) {
      const added: QueueItem[] = [];
      for (const item of items)
        if ((await redis.hsetnx(keys(item.team).items, item.recordingId, JSON.stringify(item))) === 1) added.push(item);
      return added;
    },
    async get(team, recordingId) {
      const raw = await redis.hget(keys(team).items, recordingId);
      return raw ? (JSON.parse(raw) as QueueItem) : undefined;
    },
    async put(item) {
      await redis.hset(keys(item.team).items, item.recordingId, JSON.stringify(item));
    },
    async list(team) {
      const all = await redis.hgetall(keys(team).items);
      return Object.values(all).map((raw) => JSON.parse(raw) as QueueItem);
    },
    async consider(team, recordingIds) {
      const fresh = new Set<string>();
      for (const id of recordingIds) if ((await redis.sadd(keys(team).seen, id)) === 1) fresh.add(id);
      return fresh;
    },
    async considered(team, recordingIds) {
      if (recordingIds.length === 0) return new Set();
      const flags = await redis.smismember(keys(team).seen, ...recordingIds);
      return new Set(recordingIds.filter((_, i) => flags[i] === 1));
    },
    async counts(team) {
      const all = await redis.hgetall(keys(team).counts);
      return new Map(Object.entries(all).map(([k, v]) => [k, Number(v)]));
    },
    async count(team, agentWeek, by) {
      await redis.hincrby(keys(team).counts, agentWeek, by);
    },
  };
}
