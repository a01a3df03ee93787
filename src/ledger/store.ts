import { z } from "zod";
import { chainKey, createChainLog } from "../evidence/index.js";
import type { RedisClient } from "../redis/index.js";
import {
  isGap,
  isQuarantineGap,
  type LedgerAction,
  type LedgerEntry,
  type LedgerRecording,
  type LedgerStop,
  type QuarantineEntry,
} from "./outcome.js";

/**
 * Ledger entries in Redis: one hash per call, `${prefix}:ledger:{serverCallId}` (hash-tagged per call, as the
 * sessions are), and a time index `${prefix}:ledger:index` (a sorted set by last change) to list by time.
 * Each command touches one key, so Redis Cluster works. A call's archived recordings are a hash of their own
 * beside its entry (`…:recordings`, one field per recording key: two recordings never overwrite each other), and
 * quarantined recordings (docs/archive.md) one key each, `${prefix}:ledger:quarantine:{recordingKey}`, with
 * their own time index.
 *
 * Every change also joins the ledger chain (`${prefix}:ledger:chain`, docs/evidence.md): what was written, to
 * which call or recording, when. The chain is appended after the change is stored (they live in different hash
 * slots, so no one command does both); a process that dies in between leaves a change the chain does not show.
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
  consent: z
    .object({
      summary: z.string(),
      requirement: z.enum(["notice", "consent"]),
      decidedBy: z.object({ party: z.string(), jurisdiction: z.string(), set: z.string() }),
      target: z.string().optional(),
      askedAt: z.string(),
      outcome: z.enum(["given", "refused", "silent", "failed", "notified", "notice-failed"]).optional(),
      answeredAt: z.string().optional(),
      heard: z.string().optional(),
      matched: z.string().optional(),
      fallback: z.enum(["record-nothing", "end-call", "record-our-side-only"]).optional(),
      subCode: z.number().optional(),
      parties: z
        .array(
          z.object({
            party: z.string(),
            askedAt: z.string().optional(),
            outcome: z.enum(["given", "refused", "silent", "failed", "notified", "notice-failed"]).optional(),
            answeredAt: z.string().optional(),
            heard: z.string().optional(),
            matched: z.string().optional(),
            subCode: z.number().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

const stopSchema = z.object({
  recordingId: z.string(),
  trigger: z.enum(["scope", "request"]),
  by: z.string(),
  reason: z.string(),
  at: z.string(),
});

const recordingSchema = z.object({ recordingId: z.string(), manifest: z.string(), at: z.string() });

const quarantineSchema = z.object({
  recordingId: z.string(),
  callId: z.string().optional(),
  serverCallId: z.string().optional(),
  reason: z.string(),
  state: z.enum(["archiving", "archived", "assigned"]),
  manifest: z.string().optional(),
  quarantinedAt: z.string(),
  updatedAt: z.string(),
  assigned: z
    .object({
      serverCallId: z.string(),
      teamId: z.string(),
      manifest: z.string(),
      by: z.string(),
      at: z.string(),
      reason: z.string(),
    })
    .optional(),
});

export interface Ledger {
  /** Merges into the call's entry (fields given win; `recorded` is never downgraded). */
  record(update: Omit<LedgerEntry, "updatedAt">): Promise<void>;
  get(serverCallId: string): Promise<LedgerEntry | undefined>;
  /** Appends an enforcement action to the call's entry (a list of its own: appends never race each other). */
  noteAction(serverCallId: string, action: LedgerAction): Promise<void>;
  /** Notes a stop on purpose in the call's entry (a hash of its own, one field per recording: the first stays). */
  noteStop(serverCallId: string, stop: LedgerStop): Promise<void>;
  /** Entries changed at or after `since`, oldest first. */
  since(since: Date): Promise<LedgerEntry[]>;
  gaps(since: Date, now: Date, graceMs: number): Promise<LedgerEntry[]>;
  /** Puts a quarantined recording on record; true if it was not yet (the caller that put it there alerts). */
  quarantine(entry: Omit<QuarantineEntry, "state" | "quarantinedAt" | "updatedAt">): Promise<boolean>;
  /** Changes a quarantined recording's entry (its manifest, its assignment). */
  updateQuarantine(
    recordingId: string,
    change: Partial<Pick<QuarantineEntry, "state" | "manifest" | "assigned">>,
  ): Promise<QuarantineEntry | undefined>;
  getQuarantine(recordingId: string): Promise<QuarantineEntry | undefined>;
  /** Quarantined recordings not yet assigned to their call, quarantined at or after `since`, oldest first. */
  quarantineGaps(since: Date): Promise<QuarantineEntry[]>;
}

/** The facts of a call's end that a `recorded` entry still takes from a later update (which cannot downgrade it). */
const END_OF_CALL_FACTS = ["endedAt", "consent"] as const;

/**
 * Pure: the entry to write after `update`, or undefined when nothing changes. A `recorded` entry keeps its outcome
 * (final: a late CallEnded never downgrades it), but takes what only the call's end knows — when it ended, and the
 * consent record as it stood then (a party who joined and refused after the recording was archived: its stop made
 * the recording final before the call ended, docs/consent-flow.md) — so the ledger line says what the manifest
 * cannot.
 */
export function entryAfter(
  current: LedgerEntry | undefined,
  update: Omit<LedgerEntry, "updatedAt">,
  now: Date,
): LedgerEntry | undefined {
  // Actions, recordings and stops live in keys of their own, not in the stored entry.
  const { actions: _actions, recordings: _recordings, stops: _stops, ...stored } = current ?? {};
  if (current?.outcome !== "recorded" || update.outcome === "recorded")
    return { ...stored, ...update, updatedAt: now.toISOString() };
  const facts: Partial<LedgerEntry> = {};
  for (const field of END_OF_CALL_FACTS)
    if (update[field] !== undefined && JSON.stringify(update[field]) !== JSON.stringify(current[field]))
      Object.assign(facts, { [field]: update[field] });
  if (Object.keys(facts).length === 0) return undefined;
  return { ...stored, ...facts, outcome: "recorded", serverCallId: current.serverCallId, updatedAt: now.toISOString() };
}

export function createLedger(redis: RedisClient, prefix: string): Ledger {
  const keyOf = (serverCallId: string) => `${prefix}:ledger:{${serverCallId}}`;
  const actionsOf = (serverCallId: string) => `${keyOf(serverCallId)}:actions`;
  const recordingsOf = (serverCallId: string) => `${keyOf(serverCallId)}:recordings`;
  const stopsOf = (serverCallId: string) => `${keyOf(serverCallId)}:stops`;
  const index = `${prefix}:ledger:index`;
  const quarantineKey = (recordingId: string) => `${prefix}:ledger:quarantine:{${recordingId}}`;
  const quarantineIndex = `${prefix}:ledger:quarantine:index`;
  const chain = createChainLog(redis, chainKey(prefix, "ledger"));
  const get = async (serverCallId: string): Promise<LedgerEntry | undefined> => {
    const [raw, actions, recordingFields, stopItems] = await Promise.all([
      redis.hget(keyOf(serverCallId), "entry"),
      redis.lrange(actionsOf(serverCallId), 0, -1),
      redis.hvals(recordingsOf(serverCallId)),
      redis.hvals(stopsOf(serverCallId)),
    ]);
    const stops = stopItems
      .map((s) => stopSchema.parse(JSON.parse(s)))
      .sort((a, b) => a.at.localeCompare(b.at) || a.recordingId.localeCompare(b.recordingId));
    const taken = actions.map((a) => JSON.parse(a) as LedgerAction);
    const recordings: LedgerRecording[] = recordingFields
      .map((field) => recordingSchema.parse(JSON.parse(field)))
      .sort((a, b) => a.at.localeCompare(b.at) || a.recordingId.localeCompare(b.recordingId));
    const extra = {
      ...(taken.length > 0 ? { actions: taken } : {}),
      ...(recordings.length > 0 ? { recordings } : {}),
      ...(stops.length > 0 ? { stops } : {}),
    };
    // A call still in progress has no entry yet, only what enforcement did (or a stop) so far.
    if (!raw) {
      const last = [...taken, ...stops].sort((a, b) => a.at.localeCompare(b.at)).at(-1);
      return last
        ? { serverCallId, outcome: "pending", reason: "call in progress", updatedAt: last.at, ...extra }
        : undefined;
    }
    return { ...entrySchema.parse(JSON.parse(raw)), ...extra };
  };
  const getQuarantine = async (recordingId: string): Promise<QuarantineEntry | undefined> => {
    const raw = await redis.get(quarantineKey(recordingId));
    return raw ? quarantineSchema.parse(JSON.parse(raw)) : undefined;
  };
  return {
    async record(update) {
      const now = new Date();
      // Each recording in a field of its own: a call's second recording never replaces its first.
      if (update.outcome === "recorded" && update.recordingId && update.manifest) {
        const recording: LedgerRecording = {
          recordingId: update.recordingId,
          manifest: update.manifest,
          at: now.toISOString(),
        };
        await redis.hsetnx(recordingsOf(update.serverCallId), update.recordingId, JSON.stringify(recording));
      }
      const entry = entryAfter(await get(update.serverCallId), update, now);
      if (!entry) return;
      const written = await redis.eval(WRITE, 1, keyOf(update.serverCallId), entry.outcome, JSON.stringify(entry));
      if (written !== 1) return;
      await redis.zadd(index, now.getTime(), update.serverCallId);
      await chain.append({ at: entry.updatedAt, change: "entry", serverCallId: update.serverCallId, entry });
    },
    get,
    async noteAction(serverCallId, action) {
      await redis.rpush(actionsOf(serverCallId), JSON.stringify(action));
      await redis.zadd(index, Date.parse(action.at), serverCallId);
      await chain.append({ at: new Date().toISOString(), change: "action", serverCallId, action });
    },
    async noteStop(serverCallId, stop) {
      // One per recording: a stop job run again after a crash notes it once.
      const written = await redis.hsetnx(stopsOf(serverCallId), stop.recordingId, JSON.stringify(stop));
      if (written !== 1) return;
      await redis.zadd(index, Date.parse(stop.at), serverCallId);
      await chain.append({ at: new Date().toISOString(), change: "stop", serverCallId, stop });
    },
    async since(since) {
      const ids = await redis.zrangebyscore(index, since.getTime(), "+inf");
      const entries = await Promise.all(ids.map(get));
      return entries.filter((e): e is LedgerEntry => e !== undefined);
    },
    async gaps(since, now, graceMs) {
      return (await this.since(since)).filter((entry) => isGap(entry, now, graceMs));
    },
    async quarantine(entry) {
      const now = new Date();
      const stored: QuarantineEntry = {
        ...entry,
        state: "archiving",
        quarantinedAt: now.toISOString(),
        updatedAt: now.toISOString(),
      };
      const written = await redis.set(quarantineKey(entry.recordingId), JSON.stringify(stored), "NX");
      if (written !== "OK") return false;
      await redis.zadd(quarantineIndex, now.getTime(), entry.recordingId);
      await chain.append({ at: stored.updatedAt, change: "quarantine", recordingId: entry.recordingId, entry: stored });
      return true;
    },
    async updateQuarantine(recordingId, change) {
      const current = await getQuarantine(recordingId);
      if (!current) return undefined;
      // An assigned recording stays assigned: a late manifest write of its quarantine copy changes only that.
      const state = current.state === "assigned" ? "assigned" : (change.state ?? current.state);
      const next: QuarantineEntry = { ...current, ...change, state, updatedAt: new Date().toISOString() };
      await redis.set(quarantineKey(recordingId), JSON.stringify(next), "XX");
      await chain.append({ at: next.updatedAt, change: "quarantine", recordingId, entry: next });
      return next;
    },
    getQuarantine,
    async quarantineGaps(since) {
      const ids = await redis.zrangebyscore(quarantineIndex, since.getTime(), "+inf");
      const entries = await Promise.all(ids.map(getQuarantine));
      return entries.filter((e): e is QuarantineEntry => e !== undefined && isQuarantineGap(e));
    },
  };
}
