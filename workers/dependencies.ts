import type { CallAutomationClient } from "@azure/communication-call-automation";
import type { ContainerClient } from "@azure/storage-blob";
import { createCallAutomationClient } from "../src/acs/index.js";
import { azureRetention, noRetention, type RetentionPort } from "../src/archive/retention.js";
import { immutabilityMode, type Config } from "../src/config/index.js";
import { createLedger, type Ledger } from "../src/ledger/index.js";
import type { Logger } from "../src/log.js";
import type { Runtime } from "../src/runtime.js";
import type { TeamPolicy } from "../src/policy/index.js";
import type { Queues } from "../src/queues/index.js";
import type { SessionStore } from "../src/sessions/index.js";
import { createRecordingIndex, type RecordingIndex } from "../src/retrieval/index-store.js";

/** What a job learns of its own run besides its payload. */
export interface JobContext {
  /** 1 for the first attempt; more when BullMQ retries. */
  attempt: number;
  /** Reported to whoever watches the job (BullMQ job progress). */
  progress(value: object): Promise<void>;
}

/** Everything a job's `perform` may touch: adapters passed in at the edge, so tests can wire real or fake ones. */
export interface WorkerDependencies {
  logger: Logger;
  sessions: SessionStore;
  queues: Queues;
  /** The policies in force now (hot-reloaded). */
  policies: () => readonly TeamPolicy[];
  /** An earlier policy set of this process by hash, so a call keeps the set it started with; undefined if unknown. */
  policiesFor: (policySetHash: string) => readonly TeamPolicy[] | undefined;
  acs: CallAutomationClient;
  container: ContainerClient;
  /** Another container of the same storage account (exports). */
  containerNamed: (name: string) => ContainerClient;
  /** The recordings listing index, written when a manifest is and read by exports. */
  recordings: RecordingIndex;
  /** Where ACS posts mid-call events for connections we make: `${PUBLIC_BASE_URL}/api/callbacks`. */
  callbackUri: string;
  ingest: { blockBytes: number; concurrency: number; atRiskMarginMs: number };
  /**
   * The completeness ledger. Always wired in production; optional so that tests of call-event folding alone
   * (test/integration/event-order.test.ts) need not build one.
   */
  ledger?: Ledger;
  /** Retain-until and legal hold on archived blobs. */
  retention: RetentionPort;
  /** Delete ACS's copy of a chunk once ours is verified. */
  deleteAcsCopy: boolean;
  /** After a call ends, how long its recording may take to arrive before an alert. */
  recordingExpectedWithinMs: number;
  /** How often every ledger gap is looked for (and alerted, once per call). */
  gapSweepEveryMs: number;
  /** BullMQ lock duration (and stalled-job check interval) in ms. */
  jobLockMs: number;
}

/** The production wiring of the dependencies, from configuration and the shared runtime. */
export function createWorkerDependencies(config: Config, runtime: Runtime, logger: Logger): WorkerDependencies {
  return {
    logger,
    sessions: runtime.sessions,
    queues: runtime.queues,
    policies: runtime.policies,
    policiesFor: runtime.policiesFor,
    acs: createCallAutomationClient(config),
    container: runtime.container,
    containerNamed: (name) => runtime.blobService.getContainerClient(name),
    recordings: createRecordingIndex(runtime.redis, config.REDIS_PREFIX),
    callbackUri: new URL("/api/callbacks", config.PUBLIC_BASE_URL).toString(),
    ingest: {
      blockBytes: config.INGEST_BLOCK_BYTES,
      concurrency: config.INGEST_BLOCK_CONCURRENCY,
      atRiskMarginMs: config.INGEST_AT_RISK_MARGIN_MS,
    },
    jobLockMs: config.WORKER_LOCK_MS,
    recordingExpectedWithinMs: config.RECORDING_EXPECTED_WITHIN_SECONDS * 1000,
    gapSweepEveryMs: config.GAP_SWEEP_SECONDS * 1000,
    retention: immutabilityMode(config) === "azure" ? azureRetention(runtime.container) : noRetention,
    deleteAcsCopy: config.ACS_DELETE_AFTER_ARCHIVE,
    ledger: createLedger(runtime.redis, config.REDIS_PREFIX),
  };
}
