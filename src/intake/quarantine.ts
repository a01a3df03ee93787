import { createHash } from "node:crypto";
import { ReplyError } from "ioredis";
import type { RedisClient } from "../redis/index.js";
import { outboxKeys } from "./outbox.js";

/**
 * The intake quarantine: events the outbox relay could not turn into jobs, set aside one delivery (outbox entry)
 * at a time with the reason and the delivery's body exactly as received, so the other events flow on
 * (docs/redis.md "Quarantine"). An operator lists them, replays one after a fix (it goes back into the outbox
 * and through the relay again), or drops one; both leave an audit record. All keys share the `{intake}` tag.
 */

/** Where it failed: `read` — the stored delivery no longer validates (all its events); `queue` — these events could not be queued. */
export type QuarantineStage = "read" | "queue";

export interface QuarantinedEvent {
  id: string;
  type: string;
  reason: string;
}

/** An outbox entry's fields (flat name, value list) as a map. */
export function fieldMap(fields: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  return map;
}

/**
 * Errors that say Redis (or the way to it) is unwell, not this event: the relay then stops and retries the whole
 * batch later instead of setting anything aside. Anything else — a payload that cannot be serialised (RangeError
 * from JSON.stringify), a script refusing this job's data, an error never seen before — is blamed on the event:
 * one event must never hold up the others, and setting it aside needs Redis to accept the quarantine write,
 * which a Redis that is really unwell refuses anyway.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (error instanceof ReplyError) {
    return /^(OOM|LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS|MISCONF|NOAUTH|WRONGPASS|NOPERM|MOVED|ASK)\b/.test(
      (error as Error).message,
    );
  }
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code ?? "";
  return (
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH", "EAI_AGAIN"].includes(code) ||
    ["MaxRetriesPerRequestError", "ClusterAllFailedError"].includes(error.name) ||
    /Connection is closed|Command timed out|Stream isn't writeable|Failed to refresh slots cache|None of startup nodes/.test(
      error.message,
    )
  );
}

/** A short reason for an error (a stack overflow's message is enough; the stack is logged). */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return message.slice(0, 500);
}

/**
 * Sets one outbox entry's failed events aside (or the whole entry, stage `read`). The record keeps the entry's own
 * fields — channel, receivedAt, body — with `fresh` narrowed to the events set aside, so a replay queues only them.
 */
export async function quarantineEntry(
  redis: RedisClient,
  prefix: string,
  entry: { id: string; fields: readonly string[] },
  failure: { stage: QuarantineStage; reason: string; events: readonly QuarantinedEvent[] },
): Promise<string> {
  const original = fieldMap(entry.fields);
  const record = new Map(original);
  if (failure.stage === "queue") record.set("fresh", JSON.stringify(failure.events.map((event) => event.id)));
  record.set("entry", entry.id);
  record.set("stage", failure.stage);
  record.set("reason", failure.reason);
  record.set("events", JSON.stringify(failure.events));
  record.set("quarantinedAt", new Date().toISOString());
  return (await redis.xadd(outboxKeys(prefix).quarantine, "*", ...[...record].flat())) as string;
}

/** One quarantined delivery as an operator sees it. */
export interface QuarantineRecord {
  id: string;
  entry: string;
  stage: QuarantineStage;
  reason: string;
  quarantinedAt: string;
  channel: string;
  receivedAt: string;
  /** The events set aside: those that failed (stage queue), or every new one of the delivery (stage read). */
  events: { id: string; type: string; reason: string; serverCallId?: string }[];
  bodyBytes: number;
  bodySha256: string;
}

/** What a delivery's body says of its events, read leniently (it may be the very thing that is broken). */
function eventsInBody(body: string, ids: readonly string[]): { id: string; type: string; serverCallId?: string }[] {
  let elements: unknown;
  try {
    elements = JSON.parse(body);
  } catch {
    return ids.map((id) => ({ id, type: "?" }));
  }
  const list = (Array.isArray(elements) ? elements : [elements]) as Record<string, unknown>[];
  return ids.map((id) => {
    const element = list.find((item) => item && typeof item === "object" && item.id === id);
    const type = element?.eventType ?? element?.type;
    const serverCallId = (element?.data as Record<string, unknown> | undefined)?.serverCallId;
    return {
      id,
      type: typeof type === "string" ? type : "?",
      ...(typeof serverCallId === "string" ? { serverCallId } : {}),
    };
  });
}

export function recordOf(id: string, fields: readonly string[]): QuarantineRecord {
  const map = fieldMap(fields);
  const body = map.get("body") ?? "";
  const stage = map.get("stage") === "read" ? "read" : "queue";
  let failed: QuarantinedEvent[] = [];
  let fresh: string[] = [];
  try {
    failed = JSON.parse(map.get("events") ?? "[]") as QuarantinedEvent[];
    fresh = JSON.parse(map.get("fresh") ?? "[]") as string[];
  } catch {
    // A record is written by quarantineEntry only; a damaged one still lists with what it has.
  }
  const reason = map.get("reason") ?? "";
  const described = eventsInBody(body, fresh);
  return {
    id,
    entry: map.get("entry") ?? "",
    stage,
    reason,
    quarantinedAt: map.get("quarantinedAt") ?? "",
    channel: map.get("channel") ?? "",
    receivedAt: map.get("receivedAt") ?? "",
    events: described.map((event) => ({
      ...event,
      reason: failed.find((item) => item.id === event.id)?.reason ?? reason,
    })),
    bodyBytes: Buffer.byteLength(body),
    bodySha256: createHash("sha256").update(body).digest("hex"),
  };
}

/** Every quarantined delivery, oldest first (at most `limit`). */
export async function listQuarantine(redis: RedisClient, prefix: string, limit = 1000): Promise<QuarantineRecord[]> {
  const entries = (await redis.xrange(outboxKeys(prefix).quarantine, "-", "+", "COUNT", limit)) as [string, string[]][];
  return entries.map(([id, fields]) => recordOf(id, fields));
}

/**
 * Replays (back into the outbox, queued by the relay as if just received: its job ids make a second run harmless)
 * or drops a quarantined delivery, and writes the audit record, in one atomic step: a record gone meanwhile
 * (another operator) is left alone. KEYS: quarantine, outbox stream, audit. ARGV: record id, action, by, note,
 * now, body SHA-256. Returns 1, or 0 when the record is not there.
 */
const SETTLE = `
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return 0 end
local fields = found[1][2]
local f = {}
for i = 1, #fields, 2 do f[fields[i]] = fields[i + 1] end
if ARGV[2] == 'replay' then
  redis.call('XADD', KEYS[2], '*', 'channel', f.channel, 'receivedAt', f.receivedAt, 'fresh', f.fresh, 'body', f.body,
    'replayOf', ARGV[1])
end
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('XADD', KEYS[3], '*', 'action', ARGV[2], 'record', ARGV[1], 'entry', f.entry or '', 'stage', f.stage or '',
  'events', f.fresh or '[]', 'reason', f.reason or '', 'quarantinedAt', f.quarantinedAt or '', 'by', ARGV[3],
  'note', ARGV[4], 'at', ARGV[5], 'bodySha256', ARGV[6])
return 1`;

export type SettleAction = "replay" | "drop";

export async function settleQuarantined(
  redis: RedisClient,
  prefix: string,
  recordId: string,
  action: SettleAction,
  audit: { by: string; note: string },
): Promise<QuarantineRecord | undefined> {
  const keys = outboxKeys(prefix);
  const found = (await redis.xrange(keys.quarantine, recordId, recordId)) as [string, string[]][];
  const [entry] = found;
  if (!entry) return undefined;
  const record = recordOf(entry[0], entry[1]);
  const done = (await redis.eval(
    SETTLE,
    3,
    keys.quarantine,
    keys.stream,
    keys.quarantineAudit,
    recordId,
    action,
    audit.by,
    audit.note,
    new Date().toISOString(),
    record.bodySha256,
  )) as number;
  return done === 1 ? record : undefined;
}

export interface QuarantineAuditEntry {
  id: string;
  action: SettleAction;
  record: string;
  events: string[];
  reason: string;
  by: string;
  note: string;
  at: string;
  bodySha256: string;
}

/** The audit of replays and drops, oldest first. */
export async function quarantineAudit(redis: RedisClient, prefix: string): Promise<QuarantineAuditEntry[]> {
  const entries = (await redis.xrange(outboxKeys(prefix).quarantineAudit, "-", "+")) as [string, string[]][];
  return entries.map(([id, fields]) => {
    const map = fieldMap(fields);
    let events: string[] = [];
    try {
      events = JSON.parse(map.get("events") ?? "[]") as string[];
    } catch {
      // kept as recorded
    }
    return {
      id,
      action: map.get("action") === "drop" ? "drop" : "replay",
      record: map.get("record") ?? "",
      events,
      reason: map.get("reason") ?? "",
      by: map.get("by") ?? "",
      note: map.get("note") ?? "",
      at: map.get("at") ?? "",
      bodySha256: map.get("bodySha256") ?? "",
    };
  });
}
