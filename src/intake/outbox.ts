/**
 * The intake outbox: accepted events are persisted in one Redis stream, de-duplicated by event id in the
 * same atomic step, and answered; a relay in the worker process moves them into the call-events queue.
 * All its keys share the `{intake}` hash tag, so the Lua step works on Redis Cluster too.
 */
export function outboxKeys(prefix: string) {
  const base = `${prefix}:{intake}`;
  return {
    stream: `${base}:events`,
    /**
     * Events the relay could not turn into jobs, set aside with the reason and the delivery's body as received,
     * for an operator (`recorder events quarantine`): never trimmed, never dropped but by that command.
     */
    quarantine: `${base}:quarantine`,
    /** What was done with quarantined events (replayed, dropped): by whom, when, why. */
    quarantineAudit: `${base}:quarantine:audit`,
    /** Written by intake when a group stored nothing, so that WAIT confirms what it had stored before (sink.ts). */
    confirm: `${base}:confirm`,
    seen: (channel: string, eventId: string) => `${base}:seen:${channel}:${eventId}`,
  };
}

/** Consumer group of the relays reading the outbox stream. */
export const OUTBOX_GROUP = "relay";

/** Redelivery window of Event Grid is 24 h; event ids are kept twice as long. */
export const SEEN_TTL_SECONDS = 48 * 3600;
