import { Counter, Gauge, Registry } from "prom-client";

/** The process's Prometheus registry (served on GET /metrics). */
export const metrics = new Registry();

export const policyReloads = new Counter({
  name: "policy_reloads_total",
  help: "Policy directory changes seen, by result: success (swapped in), unchanged (same policies), failure (refused; previous policies kept)",
  labelNames: ["result"] as const,
  registers: [metrics],
});

export const policyLoadErrors = new Gauge({
  name: "policy_load_errors",
  help: "Problems in the policy files on disk; above 0, the policies in force are older than the files",
  registers: [metrics],
});

export const eventsReceived = new Counter({
  name: "intake_events_total",
  help: "Events received, by channel (eventgrid, callback), event type and outcome (stored, duplicate, ignored: a type we do not act on)",
  labelNames: ["channel", "type", "outcome"] as const,
  registers: [metrics],
});

export const deliveriesRefused = new Counter({
  name: "intake_deliveries_refused_total",
  help: "Deliveries answered 4xx, by path and status (400 invalid, 401 unauthenticated, 413 too large)",
  labelNames: ["path", "status"] as const,
  registers: [metrics],
});

export const enforcementActions = new Counter({
  name: "enforcement_actions_total",
  help: "Recording enforcement by trigger (deadline: not recording in time; mid-call: recording stopped), action (hang-up, alert, resume, restart) and policy mode",
  labelNames: ["trigger", "action", "mode"] as const,
  registers: [metrics],
});

export const dependencyUp = new Gauge({
  name: "dependency_up",
  help: "Last health probe of a dependency by this process: 1 answered, 0 failed (storage only; ACS health comes from failures of real requests)",
  labelNames: ["component"] as const,
  registers: [metrics],
});

export const ingestDeadlineAlerts = new Counter({
  name: "ingest_deadline_alerts_total",
  help: "Recording chunks whose ACS copy is about to expire (at-risk: inside INGEST_AT_RISK_MARGIN_MS) or has expired before it was archived (lost)",
  labelNames: ["status"] as const,
  registers: [metrics],
});

export const ingestPriorityRaises = new Counter({
  name: "ingest_priority_raises_total",
  help: "Waiting ingest jobs moved to a more urgent priority band by the deadline sweep (one band per hour left before ACS deletes the chunk)",
  registers: [metrics],
});

export const chunksArchived = new Counter({
  name: "ingest_chunks_archived_total",
  help: "Recording chunks archived and verified, by outcome (fresh, resumed: finished from staged blocks, existing: archived before)",
  labelNames: ["outcome"] as const,
  registers: [metrics],
});

export const recordingsMissing = new Counter({
  name: "recordings_missing_total",
  help: "Calls whose recording had not arrived (RecordingFileStatusUpdated) by RECORDING_EXPECTED_WITHIN_SECONDS after they ended",
  registers: [metrics],
});
