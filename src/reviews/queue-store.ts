/**
 * The review queue in Redis (docs/reviews.md "The queue"), per team: the items (a hash by recording id), the
 * recordings the filling job has already considered (a set), and how many each agent-week has by sampling (a
 * hash). Keys of one team share a hash tag. Unlike reviews, the queue is working state, not evidence: who was
 * assigned what is in the audit trail; the statuses follow from the reviews, which reindex re-applies.
 *
 * Two reviewers, a reviewer and the filling job, or two fills may touch a team's queue at the same instant: an
 * item is only ever changed by `update` (compare-and-set on the item, re-read and re-applied on a conflict), and a
 * team is filled by one fill at a time (`whileFilling`).
 */
import { randomUUID } from "node:crypto";
import type { RedisClient } from "../redis/index.js";
import type { QueueItem } from "./queue.js";

/** What an item change does: the next item, or undefined to leave it as it is (a change may also throw: refused). */
export type ItemChange = (current: QueueItem | undefined) => QueueItem | undefined;

export interface ReviewQueue {
  /** Adds items not yet in the queue (an existing item is kept as it is); returns those added. */
  add(items: readonly QueueItem[]): Promise<QueueItem[]>;
  get(team: string, recordingId: string): Promise<QueueItem | undefined>;
  /**
   * Changes one item atomically: `change` is given the item as stored (undefined: none) and its result is written
   * only if the item is still that one; otherwise it is given the item again as it now is. Returns the item as
   * stored afterwards. `change` must be pure: it may run more than once.
   */
  update(team: string, recordingId: string, change: ItemChange): Promise<QueueItem | undefined>;
  list(team: string): Promise<QueueItem[]>;
  /** Marks recordings considered by the filling job; returns those not considered before. */
  consider(team: string, recordingIds: readonly string[]): Promise<Set<string>>;
  /** Whether the filling job has considered a recording. */
  considered(team: string, recordingIds: readonly string[]): Promise<Set<string>>;
  counts(team: string): Promise<Map<string, number>>;
  count(team: string, agentWeek: string, by: number): Promise<void>;
  /**
   * Runs `fill` while holding the team's filling lease: two fills of a team at once would both sample from the
   * same counts and load. The lease lives `leaseMs` and is renewed while `fill` runs, so a fill whose process dies
   * holds the team for at most `leaseMs`, however long fills take. Undefined, without running it, while another
   * fill holds it.
   */
  whileFilling<T>(team: string, leaseMs: number, fill: () => Promise<T>): Promise<T | undefined>;
}

/** Writes the item (ARGV[3]) only if the field still holds ARGV[2] (ARGV[1] "1": only if it holds nothing). */
const SET_IF_UNCHANGED = `
local current = redis.call('HGET', KEYS[1], ARGV[4])
if ARGV[1] == '1' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[3])
return 1`;

/** Lets go of a lease only if it is still this holder's (an expired one may be another fill's by now). */
const RELEASE_IF_HELD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Extends a lease only if it is still this holder's. */
const RENEW_IF_HELD = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** Conflicts on one item in a row before giving up: each is another writer's change landing first. */
const MAX_ATTEMPTS = 50;

export function createReviewQueue(redis: RedisClient, prefix: string): ReviewQueue {
  const keys = (team: string) => ({
    items: `${prefix}:rq:{${team}}:items`,
    seen: `${prefix}:rq:{${team}}:seen`,
    counts: `${prefix}:rq:{${team}}:counts`,
    filling: `${prefix}:rq:{${team}}:filling`,
  });
  const parse = (raw: string | null) => (raw ? (JSON.parse(raw) as QueueItem) : undefined);
  return {
    async add(items) {
      const added: QueueItem[] = [];
      for (const item of items)
        if ((await redis.hsetnx(keys(item.team).items, item.recordingId, JSON.stringify(item))) === 1) added.push(item);
      return added;
    },
    async get(team, recordingId) {
      return parse(await redis.hget(keys(team).items, recordingId));
    },
    async update(team, recordingId, change) {
      const key = keys(team).items;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const raw = await redis.hget(key, recordingId);
        const next = change(parse(raw));
        if (next === undefined) return parse(raw);
        if (next.team !== team || next.recordingId !== recordingId)
          throw new Error(`a change of ${team}/${recordingId} may not move the item`);
        const written = await redis.eval(
          SET_IF_UNCHANGED,
          1,
          key,
          raw === null ? "1" : "0",
          raw ?? "",
          JSON.stringify(next),
          recordingId,
        );
        if (written === 1) return next;
      }
      throw new Error(`review queue item ${team}/${recordingId}: changed by others ${MAX_ATTEMPTS} times in a row`);
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
    async whileFilling(team, leaseMs, fill) {
      const key = keys(team).filling;
      const holder = randomUUID();
      if ((await redis.set(key, holder, "PX", leaseMs, "NX")) !== "OK") return undefined;
      // Renewed three times per life: one renewal lost (Redis briefly away) does not let the lease lapse. A failed
      // renewal is not an error of the fill's: if Redis is away, the fill's own commands fail.
      const renewal = setInterval(
        () => void redis.eval(RENEW_IF_HELD, 1, key, holder, leaseMs).catch(() => undefined),
        Math.max(1, Math.floor(leaseMs / 3)),
      );
      renewal.unref();
      try {
        return await fill();
      } finally {
        clearInterval(renewal);
        await redis.eval(RELEASE_IF_HELD, 1, key, holder);
      }
    },
  };
}
