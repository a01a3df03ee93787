/**
 * The intake outbox: accepted events are persisted in one Redis stream, de-duplicated by event id in the
 * same atomic step, and answered; a relay in the worker process moves them into the call-events queue.
 * All its keys share the `{intake}` hash tag, so the Lua step works on Redis Cluster too.
 */
export function outboxKeys(prefix: string) {
  const base = `${prefix}:{intake}`;
  return {
    stream: `${base}:events`,
    /** Entries the relay could not turn into jobs (kept for an operator, with the reason). */
    unreadable: `${base}:unreadable`,
    seen: (channel: string, eventId: string) => `${base}:seen:${channel}:${eventId}`,
  };
}

/** Consumer group of the relays reading the outbox stream. */
export const OUTBOX_GROUP = "relay";

/** Redelivery window of Event Grid is 24 h; event ids are kept twice as long. */
export const SEEN_TTL_SECONDS = 48 * 3600;
