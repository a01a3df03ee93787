import type { RedisClient } from "../redis/index.js";
import { z } from "zod";
import { isGap, type LedgerAction, type LedgerEntry } from "./outcome.js";

/**
 * Ledger entries in Redis: one hash per call, `${prefix}:ledger:{serverCallId}` (hash-tagged per call, as the
 * sessions are), and a time index `${prefix}:ledger:index` (a sorted set by last change) to list by time.
 * Each command touches one key, so Redis Cluster works.
 *
 * `recorded` is final: a late CallEnded (pending) never overwrites it. `failed` is not turned back into
 * `pending` either (a CallEnded after enforcement ended the call); a recording that arrives after all still
 * makes it `recorded`. Anything else takes the newest.
 */
const WRITE = `
local current = redis.call('HGET', KEYS[1], 'outcome')
if current == 'recorded' and ARGV[1] ~= 'recorded' then return 0 end
if current == 'failed' and ARGV[1] == 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'entry', ARGV[2], 'outcome', ARGV[1])
return 1`;

const entrySchema = z.object({
  serverCallId: z.string(),
  correlationId: z.string().optional(),
  outcome: z.enum(["recorded", "exempt", "not-required", "pending", "failed"]),
  reason: z.string().optional(),
  teamId: z.string().optional(),
  ruleId: z.string().optional(),
  policyHash: z.string().optional(),
  recordingId: z.string().optional(),
  manifest: z.string().optional(),
  endedAt: z.string().optional(),
  updatedAt: z.string(),
});

export interface Ledger {
  /** Merges into the call's entry (fields given win; `recorded` is never downgraded). */
  record(update: Omit<LedgerEntry, "updatedAt">): Promise<void>;
  get(serverCallId: string): Promise<LedgerEntry | undefined>;
  /** Appends an enforcement action to the call's entry (a list of its own: appends never race each other). */
  noteAction(serverCallId: string, action: LedgerAction): Promise<void>;
  /** Entries changed at or after `since`, oldest first. */
  since(since: Date): Promise<LedgerEntry[]>;
  gaps(since: Date, now: Date, graceMs: number): Promise<LedgerEntry[]>;
}

export function createLedger(redis: RedisClient, prefix: string): Ledger {
  const keyOf = (serverCallId: string) => `${prefix}:ledger:{${serverCallId}}`;
  const actionsOf = (serverCallId: string) => `${keyOf(serverCallId)}:actions`;
  const index = `${prefix}:ledger:index`;
  const get = async (serverCallId: string): Promise<LedgerEntry | undefined> => {
    const [raw, actions] = await Promise.all([
      redis.hget(keyOf(serverCallId), "entry"),
      redis.lrange(actionsOf(serverCallId), 0, -1),
    ]);
    const taken = actions.map((a) => JSON.parse(a) as LedgerAction);
    // A call still in progress has no entry yet, only what enforcement did so far.
    if (!raw) {
      const last = taken.at(-1);
      return last
        ? { serverCallId, outcome: "pending", reason: "call in progress", updatedAt: last.at, actions: taken }
        : undefined;
    }
    const entry = entrySchema.parse(JSON.parse(raw));
    return taken.length > 0 ? { ...entry, actions: taken } : entry;
  };
  return {
    async record(update) {
      const current = await get(update.serverCallId);
      const now = new Date();
      // Actions live in a list of their own, not in the stored entry.
      const { actions: _actions, ...stored } = current ?? { actions: undefined };
      const entry: LedgerEntry = { ...stored, ...update, updatedAt: now.toISOString() };
      const written = await redis.eval(WRITE, 1, keyOf(update.serverCallId), entry.outcome, JSON.stringify(entry));
      if (written === 1) await redis.zadd(index, now.getTime(), update.serverCallId);
    },
    get,
    async noteAction(serverCallId, action) {
      await redis.rpush(actionsOf(serverCallId), JSON.stringify(action));
      await redis.zadd(index, Date.parse(action.at), serverCallId);
    },
    async since(since) {
      const ids = await redis.zrangebyscore(index, since.getTime(), "+inf");
      const entries = await Promise.all(ids.map(get));
      return entries.filter((e): e is LedgerEntry => e !== undefined);
    },
    async gaps(since, now, graceMs) {
      return (await this.since(since)).filter((entry) => isGap(entry, now, graceMs));
    },
  };
}
