/**
 * Which Redis deployment `REDIS_URL` names (pure: parsing only, no connection).
 *
 * - `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS): one server, as ioredis reads the URL.
 * - `redis+cluster://[[user]:password@]host:port,host:port,…` (`rediss+cluster://` for TLS): a Redis Cluster,
 *   given by some of its nodes (the rest are discovered).
 * - `redis+sentinel://[[user]:password@]host:port,host:port,…/<master name>[/db]` (`rediss+sentinel://` for TLS to
 *   the data nodes): the master a set of Sentinels names. The credentials are the data nodes'; Sentinels that
 *   ask for their own password get it from `sentinelPassword` (and `sentinelUsername`) in the query.
 */
export type RedisTarget =
  | { kind: "single"; url: string }
  | ({ kind: "cluster"; nodes: HostPort[] } & Credentials)
  | ({
      kind: "sentinel";
      sentinels: HostPort[];
      masterName: string;
      db: number;
      sentinelUsername?: string;
      sentinelPassword?: string;
    } & Credentials);

export interface HostPort {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
  tls: boolean;
}

export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}

const SCHEME = /^(rediss?)(\+cluster|\+sentinel)?:\/\/(.*)$/;
const DEFAULT_PORT = { cluster: 6379, sentinel: 26379 } as const;

/** Reads REDIS_URL; a URL it cannot use throws RedisUrlError saying what is wrong (never echoing a password). */
export function parseRedisUrl(url: string): RedisTarget {
  const match = SCHEME.exec(url);
  if (!match) {
    throw new RedisUrlError(
      "must be redis://host:port, rediss://…, redis+cluster://host:port,host:port or redis+sentinel://host:port,…/master",
    );
  }
  const [, scheme, mode, rest = ""] = match;
  if (!mode) return { kind: "single", url };
  const kind = mode === "+cluster" ? "cluster" : "sentinel";

  const queryAt = rest.indexOf("?");
  const query = new URLSearchParams(queryAt >= 0 ? rest.slice(queryAt + 1) : "");
  const withoutQuery = queryAt >= 0 ? rest.slice(0, queryAt) : rest;
  const at = withoutQuery.lastIndexOf("@");
  const credentials = credentialsOf(at >= 0 ? withoutQuery.slice(0, at) : "", scheme === "rediss");
  const [hostList = "", ...path] = withoutQuery.slice(at + 1).split("/");
  const hosts = hostList
    .split(",")
    .filter((item) => item.length > 0)
    .map((item) => hostPort(item, DEFAULT_PORT[kind]));
  if (hosts.length === 0) throw new RedisUrlError(`names no ${kind === "cluster" ? "node" : "Sentinel"}`);

  const segments = path.filter((segment) => segment.length > 0);
  if (kind === "cluster") {
    if (segments.length > 0) throw new RedisUrlError("a Redis Cluster has database 0 only: no path after the nodes");
    return { kind, nodes: hosts, ...credentials };
  }
  const [masterName, dbText = "0"] = segments;
  if (!masterName) throw new RedisUrlError("needs the master's name after the Sentinels: redis+sentinel://…/mymaster");
  const db = Number(dbText);
  if (!Number.isInteger(db) || db < 0 || segments.length > 2) {
    throw new RedisUrlError("after the master's name only a database number may follow");
  }
  const sentinelUsername = query.get("sentinelUsername") ?? undefined;
  const sentinelPassword = query.get("sentinelPassword") ?? undefined;
  return {
    kind,
    sentinels: hosts,
    masterName: decodeURIComponent(masterName),
    db,
    ...credentials,
    ...(sentinelUsername ? { sentinelUsername } : {}),
    ...(sentinelPassword ? { sentinelPassword } : {}),
  };
}

function credentialsOf(userInfo: string, tls: boolean): Credentials {
  if (userInfo === "") return { tls };
  const colon = userInfo.indexOf(":");
  const username = decodeURIComponent(colon >= 0 ? userInfo.slice(0, colon) : userInfo);
  const password = colon >= 0 ? decodeURIComponent(userInfo.slice(colon + 1)) : undefined;
  return { tls, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

function hostPort(item: string, defaultPort: number): HostPort {
  // [::1]:7000 for IPv6, host:port otherwise.
  const ipv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
  const [host, portText] = ipv6 ? [ipv6[1], ipv6[2]] : item.split(":");
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535 || (!ipv6 && item.split(":").length > 2)) {
    throw new RedisUrlError(`"${item}" is not host:port`);
  }
  return { host, port };
}

/** Where to look first for a deployment (a PING there tells whether anything answers). */
export function firstAddress(target: RedisTarget): HostPort {
  if (target.kind === "cluster") return target.nodes[0]!;
  if (target.kind === "sentinel") return target.sentinels[0]!;
  const url = new URL(target.url);
  return { host: url.hostname, port: Number(url.port || 6379) };
}
