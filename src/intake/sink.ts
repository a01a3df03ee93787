import type { RedisClient } from "../redis/index.js";
import { outboxKeys, SEEN_TTL_SECONDS } from "./outbox.js";
import type { AcsEvent } from "./schemas.js";

export interface SinkResult {
  accepted: number;
  duplicates: number;
  stored: boolean[];
}

/** Counts from per-event outcomes. */
export function sinkResult(stored: boolean[]): SinkResult {
  const accepted = stored.filter(Boolean).length;
  return { accepted, duplicates: stored.length - accepted, stored };
}

export interface EventSink {
  /** Persists each new event for processing; `stored[i]` is false when events[i] had been seen already. */
  accept(channel: "eventgrid" | "callback", events: AcsEvent[]): Promise<SinkResult>;
}

/** Marks the event id seen and appends the event to the outbox, or does nothing if it was seen: atomically. */
const ACCEPT_ONCE = `
if redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2], 'NX') then
  redis.call('XADD', KEYS[2], '*', 'event', ARGV[3])
  return 1
end
return 0`;

type AcceptOnce = (seenKey: string, stream: string, now: string, ttl: number, payload: string) => Promise<number>;

/**
 * One atomic Redis step per event, then the answer: an event is either stored and marked seen, or neither —
 * so a failure (answered 5xx) leaves nothing that would hide the sender's retry. The script is registered once
 * (EVALSHA); give this sink a connection with `enableAutoPipelining` so concurrent requests share round trips.
 */
export function createRedisEventSink(redis: RedisClient, prefix: string): EventSink {
  const keys = outboxKeys(prefix);
  if (!("acceptOnce" in redis)) redis.defineCommand("acceptOnce", { numberOfKeys: 2, lua: ACCEPT_ONCE });
  const acceptOnce = (redis as unknown as { acceptOnce: AcceptOnce }).acceptOnce.bind(redis);
  return {
    async accept(channel, events) {
      const now = new Date().toISOString();
      const stored = await Promise.all(
        events.map((event) =>
          acceptOnce(
            keys.seen(channel, event.id),
            keys.stream,
            now,
            SEEN_TTL_SECONDS,
            JSON.stringify({ channel, event, receivedAt: now }),
          ),
        ),
      );
      return sinkResult(stored.map((result) => result === 1));
    },
  };
}
