/**
 * When intake may answer 2xx (INTAKE_DURABILITY): Event Grid stops retrying once we do, so this decides what a
 * Redis failure can take with it (docs/redis.md "Durable acknowledgement").
 *
 * - `memory`: once the primary has the event in memory. A Redis crash or restart loses what the relay has not
 *   yet moved on; for development.
 * - `aof`: the same write, on a server that must have `appendonly yes` (checked at start, src/redis/settings.ts);
 *   what a crash can lose then depends on its `appendfsync`.
 * - `replicas:N`: after the write, `WAIT N <timeout>` on the node that took it; fewer confirmations in time and
 *   the delivery is answered 503, so Event Grid retries it.
 */
export type IntakeDurability =
  { mode: "memory" } | { mode: "aof" } | { mode: "replicas"; replicas: number; timeoutMs: number };

export const DURABILITY_SYNTAX = "memory, aof or replicas:N (N from 1 to 99)";

/** Reads the INTAKE_DURABILITY text (the replica timeout comes separately); undefined when it is not valid. */
export function parseDurability(text: string, replicaTimeoutMs: number): IntakeDurability | undefined {
  if (text === "memory" || text === "aof") return { mode: text };
  const match = /^replicas:([1-9]\d?)$/.exec(text);
  return match ? { mode: "replicas", replicas: Number(match[1]), timeoutMs: replicaTimeoutMs } : undefined;
}

/** The mode as configured, for /readyz, metrics and logs: `memory`, `aof`, `replicas:2`. */
export function durabilityLabel(durability: IntakeDurability): string {
  return durability.mode === "replicas" ? `replicas:${durability.replicas}` : durability.mode;
}
