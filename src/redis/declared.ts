/**
 * What the operator declares for servers that do not report a setting (REDIS_DECLARED_SETTINGS, e.g.
 * `maxmemory-policy=noeviction,appendonly=yes,appendfsync=always`): some managed services answer INFO without these
 * fields, refuse INFO, or refuse CONFIG GET. A value the server does report always wins.
 */
export interface DeclaredSettings {
  maxmemoryPolicy?: string;
  appendonly?: boolean;
  appendfsync?: string;
}

/** The values appendfsync can take (redis.conf). */
const FSYNC_POLICIES: readonly string[] = ["always", "everysec", "no"];

/** The values maxmemory-policy can take (redis.conf). */
export const EVICTION_POLICIES: readonly string[] = [
  "noeviction",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
];

/** Reads REDIS_DECLARED_SETTINGS; throws an Error naming what is wrong. */
export function parseDeclaredSettings(text: string): DeclaredSettings {
  const declared: DeclaredSettings = {};
  for (const item of text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const [name, value = ""] = item.split("=").map((part) => part.trim());
    if (name === "maxmemory-policy" && EVICTION_POLICIES.includes(value)) declared.maxmemoryPolicy = value;
    else if (name === "appendonly" && (value === "yes" || value === "no")) declared.appendonly = value === "yes";
    else if (name === "appendfsync" && FSYNC_POLICIES.includes(value)) declared.appendfsync = value;
    else {
      throw new Error(
        `"${item}": only maxmemory-policy=<policy>, appendonly=yes|no and appendfsync=always|everysec|no can be declared`,
      );
    }
  }
  return declared;
}
