import { randomUUID } from "node:crypto";
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
}

export interface AuditLog {
  /** Resolves once the entry is stored everywhere the log keeps it; rejects otherwise (the caller must not go on). */
  append(entry: AuditEntry): Promise<void>;
  /** The newest entries first (from the Redis stream). */
  recent(count: number): Promise<AuditEntry[]>;
}

/** Append-only audit trail in a Redis stream (entries are never updated). */
export function createRedisAuditLog(redis: RedisClient, prefix: string): AuditLog {
  const stream = `${prefix}:audit`;
  return {
    async append(entry) {
      await redis.xadd(stream, "*", "entry", JSON.stringify(entry));
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
 * The audit trail kept twice, append-only: the Redis stream (recent entries, fast) and Blob storage (the
 * durable record auditors list: src/audit/blob-archive.ts). An entry counts as written only when both took it.
 */
export function createAuditLog(redis: RedisClient, prefix: string, archive: AuditArchive): AuditLog {
  const stream = createRedisAuditLog(redis, prefix);
  return {
    async append(entry) {
      const identified = withId(entry);
      await Promise.all([stream.append(identified), archive.append(identified)]);
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
): AuditLog {
  const stream = createRedisAuditLog(redis, prefix);
  return {
    async append(entry) {
      const identified = withId(entry);
      await Promise.all([
        stream.append(identified),
        archive.append(identified).catch((error: unknown) => onArchiveFailure(identified, error)),
      ]);
    },
    recent: stream.recent,
  };
}

function withId(entry: AuditEntry): AuditEntry {
  const { id, ...rest } = entry;
  return { id: id ?? randomUUID(), ...rest };
}
