import type { Redis } from "ioredis";
import type { Queues } from "../queues/index.js";
import type { AcsEvent } from "./schemas.js";

/** Redelivery window of Event Grid is 24 h; keep event ids twice as long. */
const SEEN_TTL_SECONDS = 48 * 3600;

export interface EventSink {
  /** Stores each new event for processing; returns how many were new and how many were already seen. */
  accept(channel: "eventgrid" | "callback", events: AcsEvent[]): Promise<{ accepted: number; duplicates: number }>;
}

/**
 * De-duplicates by event id in Redis, then enqueues. If enqueueing fails the id is forgotten again,
 * so the sender's retry (after our 5xx) is not mistaken for a duplicate.
 */
export function createRedisEventSink(redis: Redis, queues: Queues, prefix: string): EventSink {
  return {
    async accept(channel, events) {
      let accepted = 0;
      let duplicates = 0;
      for (const event of events) {
        const key = `${prefix}:seen:${channel}:${event.id}`;
        const isNew = await redis.set(key, new Date().toISOString(), "EX", SEEN_TTL_SECONDS, "NX");
        if (isNew === null) {
          duplicates += 1;
          continue;
        }
        try {
          await queues.enqueue("call-event", { event, receivedAt: new Date().toISOString() });
        } catch (error) {
          await redis.del(key).catch(() => undefined);
          throw error;
        }
        accepted += 1;
      }
      return { accepted, duplicates };
    },
  };
}
