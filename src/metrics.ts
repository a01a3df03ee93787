import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/** The process's Prometheus registry (served on GET /metrics). */
export const metrics = new Registry();

// Node's own figures (process_*, nodejs_*: memory, CPU, event-loop lag), per process.
collectDefaultMetrics({ register: metrics });

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
  help: "Requests answered 4xx, by route, status, reason (unauthenticated, too-large, malformed-json, invalid-envelope, invalid-data, url-not-allowed, …) and the type of the event refused (unknown before the body is read; other for types we do not know)",
  labelNames: ["path", "status", "reason", "type"] as const,
  registers: [metrics],
});

export const decisionsMade = new Counter({
  name: "policy_decisions_total",
  help: "Calls decided, by whether they are recorded and why (mode: required, best-effort; or the reason not: rule, exempt, not-sampled, no-team-member, no-rule-matched). A call counts once per outcome it reaches (a group call may become recordable as members join)",
  labelNames: ["record", "reason"] as const,
  registers: [metrics],
});

export const timeToRecord = new Histogram({
  name: "recording_time_to_start_seconds",
  help: "From the call's CallStarted (from=call-started; else its IncomingCall, from=incoming-call, which includes ringing; for a call that waited for consent or a notice, from=consent: the answer) reaching the webhook to ACS accepting the start of recording",
  labelNames: ["from"] as const,
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
  registers: [metrics],
});

export const enforcementActions = new Counter({
  name: "enforcement_actions_total",
  help: "Recording enforcement by trigger (deadline: not recording in time; start-failed: StartRecordingFailed; mid-call: recording stopped), action (hang-up, alert, resume, restart) and policy mode",
  labelNames: ["trigger", "action", "mode"] as const,
  registers: [metrics],
});

export const recordingsStopped = new Counter({
  name: "recordings_stopped_total",
  help: "Recordings stopped on purpose, by trigger (scope: nobody in scope left on the call; request: an operator asked)",
  labelNames: ["trigger"] as const,
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

export const recordingsQuarantined = new Counter({
  name: "recordings_quarantined_total",
  help: "Recordings archived in the quarantine area (docs/archive.md), by why: uncorrelated (no call found) or unrecorded-call (found, but no policy records it)",
  labelNames: ["why"] as const,
  registers: [metrics],
});

export const ingestPriorityRaises = new Counter({
  name: "ingest_priority_raises_total",
  help: "Waiting ingest jobs moved to a more urgent priority band by the deadline sweep (one band per hour left before ACS deletes the chunk)",
  registers: [metrics],
});

export const customerStorageFallbacks = new Counter({
  name: "customer_storage_fallbacks_total",
  help: "Chunks of a bring-your-own-storage recording downloaded from ACS instead of sealed in the customer's container (docs/byos.md), by why: customer-write-failed, customer-blobs-missing, customer-blob-refused, customer-storage-unexpected, customer-storage-at-risk",
  labelNames: ["why"] as const,
  registers: [metrics],
});

export const chunksArchived = new Counter({
  name: "ingest_chunks_archived_total",
  help: "Recording chunks archived and verified, by outcome (fresh, resumed: finished from staged blocks, existing: archived before, in-place: sealed in the customer's container)",
  labelNames: ["outcome"] as const,
  registers: [metrics],
});

export const recordingsMissing = new Counter({
  name: "recordings_missing_total",
  help: "Calls whose recording had not arrived (RecordingFileStatusUpdated) by RECORDING_EXPECTED_WITHIN_SECONDS after they ended",
  registers: [metrics],
});

export const ingestBytes = new Counter({
  name: "ingest_bytes_total",
  help: "Bytes of recording content read from ACS and archived (a resumed chunk counts what this attempt read)",
  registers: [metrics],
});

export const ingestDuration = new Histogram({
  name: "ingest_chunk_duration_seconds",
  help: "Time to archive one recording chunk and its metadata document (download, stage, commit, verify), by outcome",
  labelNames: ["outcome"] as const,
  buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 1800],
  registers: [metrics],
});

export const ingestDeadlineSlack = new Histogram({
  name: "ingest_deadline_slack_seconds",
  help: "How long before ACS deletes its copy (24 h after the event) a chunk was archived: low values mean ingest is falling behind",
  buckets: [
    300,
    1800,
    3600,
    2 * 3600,
    4 * 3600,
    8 * 3600,
    12 * 3600,
    18 * 3600,
    22 * 3600,
    23 * 3600,
    23.5 * 3600,
    24 * 3600,
  ],
  registers: [metrics],
});

export const workerRoles = new Gauge({
  name: "worker_role",
  help: "The roles this worker process runs (WORKER_ROLE: control, ingest, retrieval, operations), 1 for each; with its heartbeat, what /readyz reports per role",
  labelNames: ["role"] as const,
  registers: [metrics],
});

export const jobsFailed = new Counter({
  name: "jobs_failed_total",
  help: "Job attempts that failed, by queue, job kind and final (true: out of retries, dead-lettered; false: will be retried). Ingest failures are job=ingest-chunk",
  labelNames: ["queue", "job", "final"] as const,
  registers: [metrics],
});

export const intakeUnconfirmed = new Counter({
  name: "intake_replication_unconfirmed_total",
  help: "Groups of deliveries stored but not confirmed by INTAKE_DURABILITY=replicas:N replicas in time, answered 503 (Event Grid retries them)",
  registers: [metrics],
});

export const intakeDurabilityMode = new Gauge({
  name: "intake_durability",
  help: "The intake durability mode in force (INTAKE_DURABILITY: memory, aof, replicas:N) as a label; always 1",
  labelNames: ["mode"] as const,
  registers: [metrics],
});

export const eventsQuarantined = new Counter({
  name: "intake_events_quarantined_total",
  help: "Events the outbox relay set aside in the quarantine (recorder events quarantine): stage=read (the stored delivery no longer validates), queue (the event could not be queued)",
  labelNames: ["stage"] as const,
  registers: [metrics],
});

export const reconciledCalls = new Gauge({
  name: "reconcile_calls",
  help: "Calls with a team member in ACS's own call logs at the last reconciliation run (docs/reconciliation.md), by status: verified, exempt, enforced, incomplete, never-seen",
  labelNames: ["status"] as const,
  registers: [metrics],
});

export const reconcileUnreadable = new Gauge({
  name: "reconcile_unreadable_records",
  help: "Records (or blobs, containers) of ACS's call logs the last reconciliation run could not read",
  registers: [metrics],
});

export const reconcileRuns = new Counter({
  name: "reconcile_runs_total",
  help: "Reconciliation runs by result: clean, alerting (a call incomplete or never seen, or unreadable records), failed (the run itself did not complete)",
  labelNames: ["result"] as const,
  registers: [metrics],
});
