import { randomUUID } from "node:crypto";
import { chainKey, createChainLog } from "../evidence/index.js";
import type { RedisClient } from "../redis/index.js";
import type { AuditArchive } from "./blob-archive.js";

/** One audited action: who did what to which call or recording, when, from where, and how it ended. */
export interface AuditEntry {
  /** Unique per entry (set by the log when absent). */
  id?: string;
  at: string;
  actor: string;
  role: string;
  /** The team of a team token. */
  team?: string;
  action: string;
  serverCallId?: string;
  recordingId?: string;
  chunk?: number;
  reason?: string;
  outcome: string;
  from?: string;
  /** What else the request said: list filters, a stream's byte range, an export's selection. */
  detail?: Record<string, unknown>;
  /** The entry's place in the audit chain, and the SHA-256 of the entry before it (docs/evidence.md); set by the log. */
  seq?: number;
  prev?: string;
}

export interface AuditLog {
  /** Resolves once the entry is stored everywhere the log keeps it; rejects otherwise (the caller must not go on). */
  append(entry: AuditEntry): Promise<void>;
  /** The newest entries first (from the Redis stream). */
  recent(count: number): Promise<AuditEntry[]>;
}

export interface AuditLogOptions {
  /**
   * Entries the Redis stream keeps (about: XADD MAXLEN ~ trims whole stream nodes): the stream holds recent
   * entries, Blob storage the complete log. Redis also holds the intake outbox and the queues, so an unbounded
   * stream could stop calls being recorded.
   */
  streamMaxLen?: number;
}

/** Default of AUDIT_STREAM_MAXLEN. */
export const AUDIT_STREAM_MAXLEN = 10_000;

/** Longest string field of an entry (ids from URLs can be any length); longer ones are cut and marked. */
export const MAX_AUDIT_FIELD = 512;
/** Longest `detail` (as JSON); a longer one is kept as its first characters. */
export const MAX_AUDIT_DETAIL = 2048;

const cut = (text: string) =>
  text.length <= MAX_AUDIT_FIELD ? text : `${text.slice(0, MAX_AUDIT_FIELD - 40)}… (${text.length} characters)`;

/** The entry with every field bounded (pure): what a caller writes into a URL or a query cannot grow the log. */
export function boundedEntry(entry: AuditEntry): AuditEntry {
  const bounded = Object.fromEntries(
    Object.entries(entry).map(([key, value]) => [key, typeof value === "string" ? cut(value) : value]),
  ) as unknown as AuditEntry;
  if (entry.detail !== undefined) {
    const json = JSON.stringify(entry.detail);
    if (json.length > MAX_AUDIT_DETAIL)
      bounded.detail = { truncated: `${json.slice(0, MAX_AUDIT_DETAIL - 100)}… (${json.length} characters)` };
  }
  return bounded;
}

/** The Redis stream's log, which also links each entry into the audit chain (docs/evidence.md). */
interface ChainedAuditLog extends AuditLog {
  /** Resolves with the entry as chained (with its seq and prev), to be archived as such. */
  appendChained(entry: AuditEntry): Promise<AuditEntry>;
}

/**
 * Append-only audit trail in a Redis stream (entries are never updated), capped to recent entries. Each entry
 * joins the audit hash chain as it is added (src/evidence/chain-log.ts).
 */
export function createRedisAuditLog(
  redis: RedisClient,
  prefix: string,
  options: AuditLogOptions = {},
): ChainedAuditLog {
  const stream = chainKey(prefix, "audit");
  const chain = createChainLog(redis, stream, { maxLen: options.streamMaxLen ?? AUDIT_STREAM_MAXLEN });
  const appendChained = (entry: AuditEntry): Promise<AuditEntry> => {
    const { seq: _seq, prev: _prev, ...body } = boundedEntry(entry);
    return chain.append(body);
  };
  return {
    appendChained,
    async append(entry) {
      await appendChained(entry);
    },
    async recent(count) {
      const entries = (await redis.xrevrange(stream, "+", "-", "COUNT", count)) as [string, string[]][];
      return entries.flatMap(([, fields]) => {
        const raw = fields[fields.indexOf("entry") + 1];
        return raw ? [JSON.parse(raw) as AuditEntry] : [];
      });
    },
  };
}

/**
 * The audit trail kept twice, append-only: the Redis stream (recent entries, fast, capped) and Blob storage (the
 * complete, durable record auditors list: src/audit/blob-archive.ts). An entry counts as written only when both
 * took it. The stream links it into the audit chain first, so the Blob copy carries its seq and prev.
 */
export function createAuditLog(
  redis: RedisClient,
  prefix: string,
  archive: AuditArchive,
  options: AuditLogOptions = {},
): AuditLog {
  const stream = createRedisAuditLog(redis, prefix, options);
  return {
    async append(entry) {
      // Redis first: the archived copy carries the entry's place in the chain.
      const chained = await stream.appendChained(boundedEntry(withId(entry)));
      await archive.append(chained);
    },
    recent: stream.recent,
  };
}

/**
 * For actions that must not wait on Blob storage (a PCI pause while a card number is being read out): the
 * entry must reach the Redis stream; if Blob refuses it, the action goes ahead and the gap is alerted.
 */
export function createActionAuditLog(
  redis: RedisClient,
  prefix: string,
  archive: AuditArchive,
  onArchiveFailure: (entry: AuditEntry, error: unknown) => void,
  options: AuditLogOptions = {},
): AuditLog {
  const stream = createRedisAuditLog(redis, prefix, options);
  return {
    async append(entry) {
      const chained = await stream.appendChained(boundedEntry(withId(entry)));
      await archive.append(chained).catch((error: unknown) => onArchiveFailure(chained, error));
    },
    recent: stream.recent,
  };
}

function withId(entry: AuditEntry): AuditEntry {
  const { id, ...rest } = entry;
  return { id: id ?? randomUUID(), ...rest };
}
