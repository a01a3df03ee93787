import type { Redis } from "ioredis";
import { outboxKeys, SEEN_TTL_SECONDS } from "./outbox.js";
import type { AcsEvent } from "./schemas.js";

export interface EventSink {
  /** Persists each new event for processing; returns how many were new and how many were already seen. */
  accept(channel: "eventgrid" | "callback", events: AcsEvent[]): Promise<{ accepted: number; duplicates: number }>;
}

/** Marks the event id seen and appends the event to the outbox, or does nothing if it was seen: atomically. */
const ACCEPT_ONCE = `
if redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then
  redis.call('XADD', KEYS[2], '*', 'event', ARGV[3])
  return 1
end
return 0`;

/**
 * One atomic Redis step per event (pipelined for a batch), then the answer: an event is either stored and
 * marked seen, or neither — so a failure (answered 5xx) leaves nothing that would hide the sender's retry.
 */
export function createRedisEventSink(redis: Redis, prefix: string): EventSink {
  const keys = outboxKeys(prefix);
  return {
    async accept(channel, events) {
      const now = new Date().toISOString();
      const pipeline = redis.pipeline();
      for (const event of events) {
        const payload = JSON.stringify({ channel, event, receivedAt: now });
        pipeline.eval(ACCEPT_ONCE, 2, keys.seen(channel, event.id), keys.stream, now, SEEN_TTL_SECONDS, payload);
      }
      const results = (await pipeline.exec()) ?? [];
      let accepted = 0;
      for (const [error, stored] of results) {
        if (error) throw error;
        if (stored === 1) accepted += 1;
      }
      return { accepted, duplicates: events.length - accepted };
    },
  };
}
