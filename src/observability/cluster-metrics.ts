import type { Queue } from "bullmq";
import type { RedisClient } from "../redis/index.js";
import { Gauge } from "prom-client";
import { outboxKeys } from "../intake/index.js";
import { metrics } from "../metrics.js";
import { countActiveRecordings } from "../sessions/index.js";
import { WORKER_ROLES } from "../queues/index.js";
import { aliveWorkers } from "./heartbeat.js";

/**
 * Figures of the whole deployment, read from Redis when /metrics is scraped (not counted per process): queue
 * depths, the intake outbox, recordings active, workers alive. The webhook reports them; every replica reports
 * the same values, so aggregate with max(), not sum().
 */
export interface ClusterSource {
  redis: RedisClient;
  prefix: string;
  queues: readonly Queue[];
}

// Webhook replicas in one process (tests) share the registry: the gauges exist once and read any attached source.
const sources = new Set<ClusterSource>();
const source = () => sources.values().next().value;

const JOB_STATES = ["waiting", "prioritized", "active", "delayed", "waiting-children", "failed", "completed"] as const;

new Gauge({
  name: "queue_jobs",
  help: "Jobs per queue and state (BullMQ getJobCounts): waiting and prioritized are the backlog, failed the dead letters",
  labelNames: ["queue", "state"] as const,
  registers: [metrics],
  async collect() {
    const from = source();
    if (!from) return;
    this.reset();
    for (const queue of from.queues) {
      const counts = await queue.getJobCounts(...JOB_STATES);
      for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
  },
});

new Gauge({
  name: "intake_outbox_entries",
  help: "Events accepted by the webhook and not yet moved into the call-events queue by a worker's relay",
  registers: [metrics],
  async collect() {
    const from = source();
    if (from) this.set(await from.redis.xlen(outboxKeys(from.prefix).stream));
  },
});

new Gauge({
  name: "intake_quarantined_deliveries",
  help: "Deliveries whose events the relay set aside because they could not be queued (recorder events quarantine list); above 0 needs an operator",
  registers: [metrics],
  async collect() {
    const from = source();
    if (from) this.set(await from.redis.xlen(outboxKeys(from.prefix).quarantine));
  },
});

new Gauge({
  name: "recordings_active",
  help: "Calls whose recording is active now (RecordingStateChanged active, not since stopped, paused or ended)",
  registers: [metrics],
  async collect() {
    const from = source();
    if (from) this.set(await countActiveRecordings(from.redis, from.prefix));
  },
});

new Gauge({
  name: "workers_alive",
  help: "Worker processes whose heartbeat is fresh (written every 5 s, alive for 15 s)",
  registers: [metrics],
  async collect() {
    const from = source();
    if (from) this.set((await aliveWorkers(from.redis, from.prefix)).length);
  },
});

new Gauge({
  name: "workers_alive_by_role",
  help: "Worker processes with a fresh heartbeat that serve a role (control, ingest, retrieval, operations; a worker of role all counts in each); 0 for a role means its queues wait",
  labelNames: ["role"] as const,
  registers: [metrics],
  async collect() {
    const from = source();
    if (!from) return;
    const alive = await aliveWorkers(from.redis, from.prefix);
    for (const role of WORKER_ROLES) this.set({ role }, alive.filter((worker) => worker.roles.includes(role)).length);
  },
});

/** Makes this process's /metrics report the deployment's figures from `from`; returns the detach. */
export function attachClusterMetrics(from: ClusterSource): () => void {
  sources.add(from);
  return () => sources.delete(from);
}
