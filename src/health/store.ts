import type { RedisClient } from "../redis/index.js";
import { COMPONENTS, type Component, type HealthSignals } from "./assess.js";

/**
 * Health signals in Redis, shared by every worker and webhook replica. All keys carry the `{health}` hash tag
 * (one Redis Cluster slot, so they are read in one round trip) and expire by themselves.
 */
export interface HealthStore {
  read(): Promise<HealthSignals>;
  /** A probe failed: the component is down for `ttlMs` unless renewed. True if it was not down before. */
  markDown(component: Component, reason: string, ttlMs: number): Promise<boolean>;
  /** A probe succeeded: clears down and the failure count. True if it was down before. */
  markUp(component: Component): Promise<boolean>;
  /** One more failure in a row; the count is forgotten `windowMs` after the last one. */
  noteFailure(component: Component, reason: string, windowMs: number): Promise<void>;
  /** The component answered: the failures in a row are over. */
  noteSuccess(component: Component): Promise<void>;
}

export function createHealthStore(redis: RedisClient, prefix: string): HealthStore {
  const keys = (component: Component) => {
    const base = `${prefix}:{health}:${component}`;
    return { down: `${base}:down`, failures: `${base}:failures`, lastFailure: `${base}:last-failure` };
  };
  return {
    async read() {
      const all = COMPONENTS.flatMap((c) => [keys(c).down, keys(c).failures, keys(c).lastFailure]);
      const values = await redis.mget(...all);
      const signals = {} as HealthSignals;
      COMPONENTS.forEach((component, i) => {
        const [down, failures, lastFailure] = values.slice(i * 3, i * 3 + 3);
        signals[component] = {
          down: down ?? undefined,
          failures: Number(failures ?? 0),
          lastFailure: lastFailure ?? undefined,
        };
      });
      return signals;
    },
    async markDown(component, reason, ttlMs) {
      const previous = await redis.set(keys(component).down, reason, "PX", ttlMs, "GET");
      return previous === null;
    },
    async markUp(component) {
      const k = keys(component);
      const results = await redis.multi().del(k.down).del(k.failures, k.lastFailure).exec();
      return results?.[0]?.[1] === 1;
    },
    async noteFailure(component, reason, windowMs) {
      const k = keys(component);
      await redis
        .multi()
        .incr(k.failures)
        .pexpire(k.failures, windowMs)
        .set(k.lastFailure, reason, "PX", windowMs)
        .exec();
    },
    async noteSuccess(component) {
      const k = keys(component);
      await redis.del(k.failures, k.lastFailure);
    },
  };
}
