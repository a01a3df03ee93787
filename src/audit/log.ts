import type { RedisClient } from "../redis/index.js";

/** One audited action: who did what to which call, when, from where, and how it ended. */
export interface AuditEntry {
  at: string;
  actor: string;
  role: string;
  action: string;
  serverCallId?: string;
  reason?: string;
  outcome: string;
  from?: string;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** The newest entries first. */
  recent(count: number): Promise<AuditEntry[]>;
}

/** Append-only audit trail in a Redis stream (entries are never updated; Blob archiving: issue on QA retrieval). */
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
