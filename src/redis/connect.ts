import { Cluster, Redis } from "ioredis";
import { parseRedisUrl, type RedisTarget } from "./target.js";

/**
 * A connection to whichever deployment REDIS_URL names: one server or Sentinel-managed (`Redis`), or a Redis
 * Cluster (`Cluster`). Both speak the same commands; on a Cluster every multi-key command, transaction and script
 * must touch keys of one slot, which is why the project's keys are hash-tagged (sessions and ledger per call,
 * the intake outbox, each BullMQ queue).
 */
export type RedisClient = Redis | Cluster;

/** How a connection behaves; the same meaning for every kind of deployment. */
export interface RedisClientOptions {
  /** `null` for BullMQ connections (blocking commands survive reconnects); a number fails commands sooner. */
  maxRetriesPerRequest: number | null;
  /** Batches concurrent commands into one round trip per node. */
  enableAutoPipelining?: boolean;
  /** Fails a command that got no reply after this long. */
  commandTimeout?: number;
  /** Gives up after the first failed connection instead of reconnecting: for probes that must answer quickly. */
  failFast?: boolean;
}

/** Opens a connection to the deployment REDIS_URL names. */
export function createRedisClient(url: string, options: RedisClientOptions): RedisClient {
  return connectTo(parseRedisUrl(url), options);
}

export function connectTo(target: RedisTarget, options: RedisClientOptions): RedisClient {
  const common = {
    maxRetriesPerRequest: options.maxRetriesPerRequest,
    ...(options.commandTimeout !== undefined ? { commandTimeout: options.commandTimeout } : {}),
    ...(options.failFast ? { retryStrategy: () => null } : {}),
  };
  switch (target.kind) {
    case "single":
      return new Redis(target.url, {
        ...common,
        ...(options.enableAutoPipelining ? { enableAutoPipelining: true } : {}),
      });
    case "cluster":
      return new Cluster(target.nodes, {
        ...(options.enableAutoPipelining ? { enableAutoPipelining: true } : {}),
        ...(options.failFast ? { clusterRetryStrategy: () => null } : {}),
        redisOptions: {
          ...common,
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
          ...(target.tls ? { tls: {} } : {}),
        },
      });
    case "sentinel":
      return new Redis({
        ...common,
        ...(options.enableAutoPipelining ? { enableAutoPipelining: true } : {}),
        sentinels: target.sentinels,
        ...(options.failFast ? { sentinelRetryStrategy: () => null } : {}),
        name: target.masterName,
        db: target.db,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        ...(target.tls ? { tls: {} } : {}),
        ...(target.sentinelUsername ? { sentinelUsername: target.sentinelUsername } : {}),
        ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
        // Listen for +switch-master on the sentinels: reconnect to the new master as soon as a failover is announced.
        failoverDetector: true,
      });
  }
}

/**
 * The servers holding the data: every master of a Cluster (each has its own slots, so SCAN and INFO go to each),
 * or the one server otherwise.
 */
export async function dataNodes(client: RedisClient): Promise<Redis[]> {
  if (!(client instanceof Cluster)) return [client];
  // A Cluster knows its nodes once it has read the slot table: a first command waits for that.
  await client.ping();
  return client.nodes("master");
}

/** A second connection with the same settings (for blocking reads, which hold their connection). */
export function duplicateClient(client: RedisClient): RedisClient {
  return client instanceof Cluster ? client.duplicate() : client.duplicate();
}
