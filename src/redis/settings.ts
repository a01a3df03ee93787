import type { Redis } from "ioredis";
import { ConfigError } from "../config/index.js";
import { durabilityLabel, type IntakeDurability } from "../intake/index.js";
import { dataNodes, type RedisClient } from "./connect.js";
import { EVICTION_POLICIES, type DeclaredSettings } from "./declared.js";

/**
 * The settings of one Redis server that decide whether what we store there survives: its eviction policy and
 * its persistence. Read from `INFO` (which managed services allow) and, for `appendfsync`, `CONFIG GET` (which
 * Azure Cache for Redis and other managed services refuse: docs/redis.md "Managed Redis").
 */
export interface NodeSettings {
  /** host:port as this process reached it. */
  node: string;
  /** false when not even INFO answered: nothing below is known. */
  readable: boolean;
  maxmemoryPolicy?: string;
  appendonly?: boolean;
  /** Only where CONFIG GET is allowed. */
  appendfsync?: string;
  connectedReplicas?: number;
  /** Why CONFIG GET was refused (renamed or blocked on managed services, or an ACL), when it was. */
  configRefused?: string;
  /** Why INFO failed, when it did. */
  error?: string;
  /** Settings the server did not report, taken from REDIS_DECLARED_SETTINGS instead. */
  declared?: string[];
}

/** Fills what the server did not report from the declarations (pure), noting which settings were declared. */
export function withDeclared(node: NodeSettings, declared: DeclaredSettings | undefined): NodeSettings {
  if (!declared) return node;
  const filled: NodeSettings = { ...node };
  const names: string[] = [];
  if (filled.maxmemoryPolicy === undefined && declared.maxmemoryPolicy !== undefined) {
    filled.maxmemoryPolicy = declared.maxmemoryPolicy;
    names.push("maxmemory-policy");
  }
  if (filled.appendonly === undefined && declared.appendonly !== undefined) {
    filled.appendonly = declared.appendonly;
    names.push("appendonly");
  }
  if (filled.appendfsync === undefined && declared.appendfsync !== undefined) {
    filled.appendfsync = declared.appendfsync;
    names.push("appendfsync");
  }
  if (names.length === 0) return node;
  // A server that refused INFO is judged on what was declared (its replicas stay unknown).
  return { ...filled, readable: true, declared: names };
}

export interface SettingsVerdict {
  /** What stops a production process from starting (each says what to set). */
  problems: string[];
  /** What is only logged (and, outside production, what would stop production). */
  warnings: string[];
}

const SET_NOEVICTION =
  "set `maxmemory-policy noeviction` (redis.conf, or CONFIG SET maxmemory-policy noeviction then CONFIG REWRITE; " +
  "Azure Cache for Redis: Advanced settings → Maxmemory policy; Azure Managed Redis: eviction policy NoEviction) — docs/redis.md";

/**
 * Judges the servers' settings against what the recorder needs (pure). Every key we keep must stay until we delete
 * it or its TTL ends: an evicting policy silently drops de-duplication ids, claims, sessions or queued jobs under
 * memory pressure (BullMQ requires `noeviction` too). `aof` durability needs `appendonly yes`; `replicas:N` needs
 * N replicas connected, else every delivery is answered 503. Outside production, problems are warnings.
 * `durability` is absent for processes that accept no deliveries (the CLI).
 */
export function assessRedisSettings(
  nodes: readonly NodeSettings[],
  options: { production: boolean; durability?: IntakeDurability | undefined },
): SettingsVerdict {
  const problems: string[] = [];
  const warnings: string[] = [];
  const { durability } = options;
  for (const node of nodes) {
    if (!node.readable) {
      problems.push(
        `Redis ${node.node}: could not read its settings (INFO failed: ${node.error ?? "no answer"}); ` +
          "allow INFO for this user (ACL +info) so maxmemory-policy and persistence can be checked, or, where the " +
          "service forbids it, check them yourself and declare them: REDIS_DECLARED_SETTINGS=maxmemory-policy=noeviction " +
          "(,appendonly=yes) — docs/redis.md",
      );
      continue;
    }
    if (node.maxmemoryPolicy === undefined) {
      problems.push(
        `Redis ${node.node}: does not report its maxmemory-policy (managed services may hide it); check that it is ` +
          "noeviction and declare it: REDIS_DECLARED_SETTINGS=maxmemory-policy=noeviction — docs/redis.md",
      );
    } else if (node.maxmemoryPolicy !== "noeviction") {
      problems.push(
        `Redis ${node.node}: maxmemory-policy is ${node.maxmemoryPolicy ?? "unknown"}, which lets Redis evict keys ` +
          `(de-duplication ids, claims, sessions, queued jobs) under memory pressure, silently; ${SET_NOEVICTION}`,
      );
    }
    if (durability?.mode === "aof") {
      if (node.appendonly === undefined) {
        problems.push(
          `Redis ${node.node}: INTAKE_DURABILITY=aof, but the server does not report whether AOF is on; check it ` +
            "and declare it (REDIS_DECLARED_SETTINGS=appendonly=yes), or choose INTAKE_DURABILITY=replicas:N — docs/redis.md",
        );
      } else if (!node.appendonly) {
        problems.push(
          `Redis ${node.node}: INTAKE_DURABILITY=aof needs \`appendonly yes\`, and it is off: acknowledged events ` +
            "would be lost if Redis restarts. Set `appendonly yes` (and `appendfsync always` to lose nothing on a power " +
            "failure, or `everysec`), or choose INTAKE_DURABILITY=replicas:N — docs/redis.md",
        );
      } else if (node.appendfsync === "no") {
        warnings.push(
          `Redis ${node.node}: appendfsync is no: the OS writes the AOF when it likes (about every 30 s on Linux), so ` +
            "a machine or power failure can lose that much of what was acknowledged, and a crash of redis-server " +
            "what it had not yet written; only `always` loses nothing — docs/redis.md",
        );
      } else if (node.appendfsync !== "always") {
        // everysec: while a background fsync is slow, Redis postpones writing the AOF (up to 2 s) and answers
        // anyway, so even a crash of redis-server alone loses acknowledged events (chaos test (a), docs/redis.md).
        warnings.push(
          `Redis ${node.node}: appendfsync is ${node.appendfsync ?? "unknown (CONFIG GET refused)"}: with everysec, ` +
            "a crash of redis-server while the disk is slow loses up to about 2 s of acknowledged events (Redis " +
            "postpones the AOF write and answers anyway). Set `appendfsync always`, or choose " +
            "INTAKE_DURABILITY=replicas:N — docs/redis.md",
        );
      }
    }
    if (durability?.mode === "replicas" && (node.connectedReplicas ?? 0) < durability.replicas) {
      warnings.push(
        `Redis ${node.node}: INTAKE_DURABILITY=${durabilityLabel(durability)} but ${node.connectedReplicas ?? 0} ` +
          "replica(s) are connected: deliveries are answered 503 (Event Grid retries) until enough replicas confirm writes",
      );
    }
  }
  if (durability?.mode === "memory" && options.production) {
    warnings.push(
      "INTAKE_DURABILITY=memory in production: events acknowledged but not yet relayed are lost if Redis restarts or " +
        "fails over — docs/redis.md",
    );
  }
  return options.production ? { problems, warnings } : { problems: [], warnings: [...problems, ...warnings] };
}

/** One `field:value` line of INFO's text. */
function infoField(info: string, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, "m").exec(info);
  return match?.[1]?.trim();
}

function nodeName(node: Redis): string {
  const { remoteAddress, remotePort } = node.stream ?? {};
  if (remoteAddress && remotePort) return `${remoteAddress}:${remotePort}`;
  return `${node.options.host ?? "?"}:${node.options.port ?? "?"}`;
}

function aofOf(field: string | undefined): { appendonly?: boolean } {
  return field === undefined ? {} : { appendonly: field === "1" };
}

/** Reads one server's settings: INFO first (allowed nearly everywhere), then CONFIG GET appendfsync if allowed. */
export async function readNodeSettings(node: Redis): Promise<NodeSettings> {
  let info: string;
  try {
    info = await node.info();
  } catch (error) {
    return { node: nodeName(node), readable: false, error: (error as Error).message };
  }
  // Some Redis-compatible services answer `unknown`: as good as not reported.
  const policy = infoField(info, "maxmemory_policy");
  const settings: NodeSettings = {
    node: nodeName(node),
    readable: true,
    ...(policy && EVICTION_POLICIES.includes(policy) ? { maxmemoryPolicy: policy } : {}),
    ...aofOf(infoField(info, "aof_enabled")),
    connectedReplicas: Number(infoField(info, "connected_slaves") ?? 0),
  };
  try {
    const reply = (await node.config("GET", "appendfsync")) as string[];
    const value = reply[1];
    if (value) settings.appendfsync = value;
  } catch (error) {
    // Azure Cache for Redis answers "ERR unknown command 'CONFIG'" (docs/redis.md "Managed Redis").
    settings.configRefused = (error as Error).message;
  }
  return settings;
}

export interface RedisSettingsReport extends SettingsVerdict {
  nodes: NodeSettings[];
  checkedAt: string;
}

/**
 * Reads every server holding data (each master of a Cluster; the one server, or the master Sentinel names) and
 * judges them: in production a problem stops the process (ConfigError, whose message says what to set);
 * otherwise, and for warnings, `warn` is told. Returns what was read, for /readyz.
 */
export async function checkRedisSettings(
  client: RedisClient,
  options: {
    production: boolean;
    durability?: IntakeDurability | undefined;
    /** REDIS_DECLARED_SETTINGS, for what the servers do not report. */
    declared?: DeclaredSettings | undefined;
    warn: (message: string, nodes: NodeSettings[]) => void;
  },
): Promise<RedisSettingsReport> {
  const read = await Promise.all((await dataNodes(client)).map(readNodeSettings));
  const nodes = read.map((node) => withDeclared(node, options.declared));
  const verdict = assessRedisSettings(nodes, options);
  for (const warning of verdict.warnings) options.warn(warning, nodes);
  if (verdict.problems.length > 0) throw new ConfigError(verdict.problems);
  return { ...verdict, nodes, checkedAt: new Date().toISOString() };
}
