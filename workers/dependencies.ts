import type { CallAutomationClient } from "@azure/communication-call-automation";
import type { ContainerClient } from "@azure/storage-blob";
import { createCallAutomationClient } from "../src/acs/index.js";
import { LogsQueryClient } from "@azure/monitor-query-logs";
import { acsAccess, blobAccess, createBlobService, defaultCredential } from "../src/azure/index.js";
import {
  createDeadlineAlertClaims,
  type DeadlineAlertClaims,
  azureRetention,
  noRetention,
  type RetentionPort,
} from "../src/archive/index.js";
import { immutabilityMode, type Config } from "../src/config/index.js";
import type { HealthStore } from "../src/health/index.js";
import { createCorrelationIndex, type CorrelationIndex } from "../src/correlation/index.js";
import { createLedger, type Ledger } from "../src/ledger/index.js";
import { chainLogs, checkpointChains, loadEvidenceSigner, type EvidenceSigner } from "../src/evidence/index.js";
import type { Logger } from "../src/log.js";
import type { Runtime } from "../src/runtime.js";
import type { ConsentEnvironment, TeamPolicy } from "../src/policy/index.js";
import type { Queues } from "../src/queues/index.js";
import {
  createReconcileReports,
  logAnalyticsSource,
  runReconciliation,
  storageSource,
  type ReconcileReports,
  type ReconcileRun,
  type ReconcileSource,
  type TimeWindow,
} from "../src/reconcile/index.js";
import type { DirectorySource } from "../src/directory/index.js";
import { type SessionStore, createRingContexts, type RingContexts } from "../src/sessions/index.js";
import {
  createRecordingIndex,
  type RecordingIndex,
  createExportRequests,
  type ExportRequests,
} from "../src/retrieval/index.js";

import {
  createReviewStores,
  fillQueue,
  loadScorecards,
  recordingsSince,
  type QueueItem,
} from "../src/reviews/index.js";

/** What a checkpoint attempt gave, per chain. */
export type EvidenceCheckpointResults = Awaited<ReturnType<typeof checkpointChains>>;

/** What a job learns of its own run besides its payload. */
export interface JobContext {
  /** 1 for the first attempt; more when BullMQ retries. */
  attempt: number;
  /** Reported to whoever watches the job (BullMQ job progress). */
  progress(value: object): Promise<void>;
}

/**
 * Everything a job's `perform` may touch: adapters passed in at the edge, so tests can wire real or fake ones. Each
 * job declares the ones it uses and is given only those (workers/job.ts).
 */
export interface WorkerDependencies {
  logger: Logger;
  sessions: SessionStore;
  /** IncomingCall contexts, kept out of job data for the few seconds they can serve. */
  ringContexts: RingContexts;
  queues: Queues;
  /** The policies in force now (hot-reloaded). */
  policies: () => readonly TeamPolicy[];
  /** An earlier policy set of this process by hash, so a call keeps the set it started with; undefined if unknown. */
  policiesFor: (policySetHash: string) => readonly TeamPolicy[] | undefined;
  /**
   * What a consent decision reads besides the policies (docs/consent-flow.md): the jurisdiction sets and NANP area
   * codes in force (`<POLICY_DIR>/jurisdictions.*.yaml`, reloaded with the policies); null when the policy directory
   * has none (then no rule can have a `consent:` block: the policy source refuses it).
   */
  consentEnvironment: () => ConsentEnvironment | null;
  acs: CallAutomationClient;
  container: ContainerClient;
  /** Another container of the same storage account (exports). */
  containerNamed: (name: string) => ContainerClient;
  /** The one container exports are written to (EXPORT_CONTAINER): a job naming another is refused. */
  exportContainer: string;
  /** The exports the API queued: a job not among them, or changed, is refused (src/retrieval/export-requests.ts). */
  exportRequests: Pick<ExportRequests, "check">;
  /** The recordings listing index, written when a manifest is and read by exports. */
  recordings: RecordingIndex;
  /** Names for ids (docs/directory.md): exports write them beside the ids. Tests that build jobs by hand may leave it out. */
  directory?: DirectorySource;
  /** Where ACS posts mid-call events for connections we make: `${PUBLIC_BASE_URL}/api/callbacks`. */
  callbackUri: string;
  ingest: {
    blockBytes: number;
    concurrency: number;
    atRiskMarginMs: number;
    /** How often waiting ingest jobs are re-prioritised by the time their chunk has left. */
    prioritySweepEveryMs: number;
  };
  /** Once-per-chunk claims of deadline alerts (at risk, lost), shared by the ingest jobs and the sweep. */
  deadlineAlerts: DeadlineAlertClaims;
  /** The completeness ledger (tests without Redis use test/support/memory-ledger.ts). */
  ledger: Ledger;
  /** Our own indexes tying recordings and ACS call ids to calls (src/correlation). */
  correlation: CorrelationIndex;
  /** Retain-until and legal hold on archived blobs. */
  retention: RetentionPort;
  /** Signs manifests (docs/evidence.md). Always wired in production; tests that build jobs by hand may leave it out (unsigned). */
  evidenceSigner?: EvidenceSigner;
  /**
   * Signs and writes a checkpoint of each evidence chain's head (ledger, audit) to immutable storage, and says
   * what each chain's attempt gave (docs/evidence.md "Checkpoints").
   */
  checkpointEvidence: () => Promise<EvidenceCheckpointResults>;
  /** The ledger chain's entries, oldest first: a zip export's ledger slice (docs/evidence.md "Bundles"). */
  ledgerChainEntries: () => AsyncIterable<unknown>;
  /** How often the evidence chains are checkpointed (EVIDENCE_CHECKPOINT_SECONDS). */
  evidenceCheckpointEveryMs: number;
  /** Delete ACS's copy of a chunk once ours is verified. */
  deleteAcsCopy: boolean;
  /** After a call ends, how long its recording may take to arrive before an alert. */
  recordingExpectedWithinMs: number;
  /** How often every ledger gap is looked for (and alerted, once per call). */
  gapSweepEveryMs: number;
  /** One reconciliation run against ACS's own call logs over a window (docs/reconciliation.md), from RECONCILE_*. */
  reconcile: (window: TimeWindow) => Promise<ReconcileRun>;
  /** RECONCILE_EVERY_SECONDS (0: not scheduled), the window each run covers, and how far back it ends. */
  reconcileSchedule: { everyMs: number; windowMs: number; logDelayMs: number };
  /** Where the last run is kept for the API. */
  reconcileReports: Pick<ReconcileReports, "save">;
  /** The health view (ACS, storage) and how it is kept: read at IncomingCall, written by the job outcomes. */
  health: HealthStore;
  healthSettings: { probeEveryMs: number; failuresToTrip: number; failureWindowMs: number };
  /** Asks Blob storage whether it answers (no retries, short timeout); throws if it does not. */
  probeStorage: () => Promise<void>;
  /** Where ACS and Blob storage are: a failing request names its host (src/health failingDependency). */
  endpoints: { acsUrl: string; blobUrl: string };
  /** BullMQ lock duration (and stalled-job check interval) in ms. */
  jobLockMs: number;
  /** Recording hosts events may point at (re-checked when the outbox relay turns stored events into jobs). */
  recordingHostSuffixes: readonly string[];
  /** One filling of the QA review queues from newly archived recordings (docs/reviews.md "The queue"). */
  fillReviewQueue: () => Promise<{ considered: number; added: QueueItem[]; busy: string[] }>;
  /** REVIEW_QUEUE_EVERY_SECONDS (0: not scheduled). */
  fillReviewQueueEveryMs: number;
}

/** The production wiring of the dependencies, from configuration and the shared runtime. */
export function createWorkerDependencies(config: Config, runtime: Runtime, logger: Logger): WorkerDependencies {
  const retention = immutabilityMode(config) === "azure" ? azureRetention(runtime.container) : noRetention;
  const evidenceSigner = loadEvidenceSigner(config, (message) =>
    logger.warn({ alert: "evidence-development-key" }, message),
  );
  return {
    logger,
    sessions: runtime.sessions,
    ringContexts: createRingContexts(runtime.redis, config.REDIS_PREFIX),
    queues: runtime.queues,
    policies: runtime.policies,
    policiesFor: runtime.policiesFor,
    consentEnvironment: runtime.jurisdictions,
    acs: createCallAutomationClient(config),
    container: runtime.container,
    containerNamed: (name) => runtime.blobService.getContainerClient(name),
    exportContainer: config.EXPORT_CONTAINER,
    exportRequests: createExportRequests(runtime.redis, config.REDIS_PREFIX),
    recordings: createRecordingIndex(runtime.redis, config.REDIS_PREFIX),
    directory: runtime.directory,
    callbackUri: new URL("/api/callbacks", config.PUBLIC_BASE_URL).toString(),
    ingest: {
      blockBytes: config.INGEST_BLOCK_BYTES,
      concurrency: config.INGEST_BLOCK_CONCURRENCY,
      atRiskMarginMs: config.INGEST_AT_RISK_MARGIN_MS,
      prioritySweepEveryMs: config.INGEST_PRIORITY_SWEEP_SECONDS * 1000,
    },
    deadlineAlerts: createDeadlineAlertClaims(runtime.redis, config.REDIS_PREFIX),
    jobLockMs: config.WORKER_LOCK_MS,
    recordingHostSuffixes: config.RECORDING_HOST_SUFFIXES,
    recordingExpectedWithinMs: config.RECORDING_EXPECTED_WITHIN_SECONDS * 1000,
    gapSweepEveryMs: config.GAP_SWEEP_SECONDS * 1000,
    retention,
    evidenceSigner,
    checkpointEvidence: () =>
      checkpointChains(
        {
          container: runtime.container,
          retention,
          signer: evidenceSigner,
          retentionDays: config.EVIDENCE_RETENTION_DAYS,
        },
        chainLogs(runtime.redis, config.REDIS_PREFIX),
      ),
    evidenceCheckpointEveryMs: config.EVIDENCE_CHECKPOINT_SECONDS * 1000,
    ledgerChainEntries: () => chainLogs(runtime.redis, config.REDIS_PREFIX).ledger.entries(),
    deleteAcsCopy: config.ACS_DELETE_AFTER_ARCHIVE,
    ledger: createLedger(runtime.redis, config.REDIS_PREFIX),
    correlation: createCorrelationIndex(runtime.redis, config.REDIS_PREFIX),
    health: runtime.health,
    healthSettings: {
      probeEveryMs: config.HEALTH_PROBE_SECONDS * 1000,
      failuresToTrip: config.HEALTH_FAILURES_TO_TRIP,
      failureWindowMs: config.HEALTH_FAILURE_WINDOW_SECONDS * 1000,
    },
    reconcile: reconcileRunner(config, runtime),
    reconcileReports: createReconcileReports(runtime.redis, config.REDIS_PREFIX),
    reconcileSchedule: {
      everyMs: config.RECONCILE_EVERY_SECONDS * 1000,
      windowMs: config.RECONCILE_WINDOW_HOURS * 3_600_000,
      logDelayMs: config.RECONCILE_LOG_DELAY_MINUTES * 60_000,
    },
    probeStorage: storageProbe(config),
    endpoints: { acsUrl: acsAccess(config).endpoint, blobUrl: runtime.container.url },
    fillReviewQueue: reviewQueueFiller(config, runtime, retention),
    fillReviewQueueEveryMs: config.REVIEW_QUEUE_EVERY_SECONDS * 1000,
  };
}

/** The queue filling as the scheduled job runs it: the scorecards are read from POLICY_DIR at each run. */
function reviewQueueFiller(config: Config, runtime: Runtime, retention: RetentionPort) {
  const ledger = createLedger(runtime.redis, config.REDIS_PREFIX);
  const recordings = createRecordingIndex(runtime.redis, config.REDIS_PREFIX);
  return async () => {
    const scorecards = await loadScorecards(config.POLICY_DIR);
    const stores = createReviewStores({
      redis: runtime.redis,
      prefix: config.REDIS_PREFIX,
      container: runtime.container,
      retention,
      scorecards: () => scorecards,
      policies: runtime.policies,
    });
    return fillQueue(
      { ...stores, recordingsSince: recordingsSince(recordings), ledger },
      config.REVIEW_QUEUE_LOOKBACK_DAYS,
    );
  };
}

/**
 * Reconciliation as the scheduled job runs it: ACS's logs from RECONCILE_SOURCE (the source is made on the first
 * run, so a worker that never reconciles builds no client), the ledger, the listing index, the policies in force.
 */
function reconcileRunner(config: Config, runtime: Runtime): (window: TimeWindow) => Promise<ReconcileRun> {
  let source: ReconcileSource | undefined;
  const ledger = createLedger(runtime.redis, config.REDIS_PREFIX);
  const recordings = createRecordingIndex(runtime.redis, config.REDIS_PREFIX);
  return async (window) => {
    source ??=
      config.RECONCILE_SOURCE === "log-analytics"
        ? logAnalyticsSource(new LogsQueryClient(defaultCredential()), config.RECONCILE_WORKSPACE_ID ?? "")
        : storageSource(
            config.RECONCILE_STORAGE_CONNECTION_STRING
              ? createBlobService({ kind: "key", connectionString: config.RECONCILE_STORAGE_CONNECTION_STRING })
              : runtime.blobService,
            { resourceId: config.RECONCILE_STORAGE_RESOURCE_ID },
          );
    return runReconciliation(
      {
        source,
        ledgerSince: (since) => ledger.since(since),
        archived: async (recordingId) => {
          const found = await recordings.get(recordingId);
          return found && { chunkCount: found.chunkCount, durationSeconds: found.durationSeconds };
        },
        policies: runtime.policies(),
        toleranceSeconds: config.RECONCILE_DURATION_TOLERANCE_SECONDS,
        logDelayMs: config.RECONCILE_LOG_DELAY_MINUTES * 60_000,
      },
      { window },
    );
  };
}

/** One try, 5 s at most: a probe must say "down" quickly, not retry for half a minute as the SDK otherwise does. */
function storageProbe(config: Config): () => Promise<void> {
  const container = createBlobService(blobAccess(config), {
    retryOptions: { maxTries: 1, tryTimeoutInMs: 5_000 },
  }).getContainerClient(config.BLOB_CONTAINER);
  return async () => {
    await container.getProperties();
  };
}
