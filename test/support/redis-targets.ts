import { inject } from "vitest";
import { createRedisClient, type RedisClient, type RedisClientOptions } from "../../src/redis/index.js";

/** The deployments the Redis-facing tests run on: the same test bodies, once per target. */
export type RedisTargetName = "single" | "cluster";
export const redisTargets: [label: string, target: RedisTargetName][] = [
  ["single Redis", "single"],
  ["Redis Cluster (3 masters)", "cluster"],
];

/** REDIS_URL of a target; fails loudly (with what to install) when the test run has no cluster. */
export function redisUrlOf(target: RedisTargetName): string {
  if (target === "single") return inject("redisUrl");
  const url = inject("redisClusterUrl");
  if (!url) throw new Error(`No Redis Cluster for this test run: ${inject("redisClusterProblem")}`);
  return url;
}

/** A connection to a target, as the app makes them (src/redis). */
export function connectTarget(
  target: RedisTargetName,
  options: RedisClientOptions = { maxRetriesPerRequest: null },
): RedisClient {
  return createRedisClient(redisUrlOf(target), options);
}
