import { Redis, type RedisOptions } from "ioredis";

/** How to reach Redis: a URL, or Redis Sentinel (the URL then gives credentials, database and TLS only). */
export interface RedisSettings {
  REDIS_URL: string;
  /** `host:port` of each sentinel; set: the master is found through them (and found again after a failover). */
  REDIS_SENTINELS?: readonly string[] | undefined;
  /** The master group's name as the sentinels know it (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_NAME?: string | undefined;
  /** When the sentinels themselves require a password. */
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}

function hostAndPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(":");
  const port = at > 0 ? Number(value.slice(at + 1)) : 26379;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`REDIS_SENTINELS: bad port in ${value}`);
  return { host: at > 0 ? value.slice(0, at) : value, port };
}

/** ioredis options for Sentinel from the settings, or undefined for a plain URL connection. */
export function sentinelOptions(settings: RedisSettings): RedisOptions | undefined {
  if (!settings.REDIS_SENTINELS || settings.REDIS_SENTINELS.length === 0) return undefined;
  if (!settings.REDIS_SENTINEL_NAME) throw new Error("REDIS_SENTINEL_NAME is required with REDIS_SENTINELS");
  const url = new URL(settings.REDIS_URL);
  const db = Number(url.pathname.replace(/^\//, "") || 0);
  const tls = url.protocol === "rediss:";
  return {
    sentinels: settings.REDIS_SENTINELS.map(hostAndPort),
    name: settings.REDIS_SENTINEL_NAME,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(settings.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: settings.REDIS_SENTINEL_PASSWORD } : {}),
    db: Number.isInteger(db) ? db : 0,
    ...(tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    // Listen for +switch-master on the sentinels: reconnect to the new master as soon as a failover is announced.
    failoverDetector: true,
  };
}

/** A Redis connection from the settings (plain URL or Sentinel), with the caller's connection options. */
export function createRedis(settings: RedisSettings, options: RedisOptions = {}): Redis {
  const sentinel = sentinelOptions(settings);
  return sentinel ? new Redis({ ...sentinel, ...options }) : new Redis(settings.REDIS_URL, options);
}
