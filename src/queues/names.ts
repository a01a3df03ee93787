/** Queue names, defined once. */
export const QueueName = {
  callEvents: "call-events",
  control: "control",
  ingest: "ingest",
  /** Evidence exports: long-running, kept apart so they never hold up ingest. */
  export: "export",
  /**
   * The periodic operations jobs (sweeps, probes, checkpoints, reconciliation, the review queue's filling): off the
   * control queue, so none of them holds a control worker's concurrency while a call waits to be recorded.
   */
  operations: "operations",
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/**
 * BullMQ's key prefix for one queue: `<prefix>:bull:{<queue>}`. The hash tag keeps each queue's keys in one Redis
 * Cluster slot (BullMQ's scripts touch several of them at once), and a tag per queue lets a Cluster spread the
 * queues over its masters. The same layout on a single server, so both run the same keys.
 */
export function queueKeyPrefix(prefix: string, queue: QueueName): string {
  return `${prefix}:bull:{${queue}}`;
}
