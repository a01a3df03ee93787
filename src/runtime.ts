import type { BlobServiceClient, ContainerClient } from "@azure/storage-blob";
import { blobAccess, createBlobService } from "./azure/index.js";
import { declaredRedisSettings, intakeDurability, type Config } from "./config/index.js";
import type { Logger } from "./log.js";
import { policyLoadErrors, policyReloads } from "./metrics.js";
import type { JurisdictionData } from "./consent/index.js";
import { createFileDirectorySource, type DirectorySource } from "./directory/index.js";
import { createPolicySource, type PolicyStatus, type ReloadOutcome, type TeamPolicy } from "./policy/index.js";
import { createQueues, type Queues } from "./queues/index.js";
import { createHealthStore, type HealthStore } from "./health/index.js";
import { checkRedisSettings, createRedisClient, type RedisClient, type RedisSettingsReport } from "./redis/index.js";
import { createRedisSessionStore, type SessionStore } from "./sessions/index.js";

/** The adapters both processes share, built once from configuration. */
export interface Runtime {
  /** One server, Sentinel-managed, or a Cluster (REDIS_URL). */
  redis: RedisClient;
  /** Redis's eviction policy and persistence as read at start (docs/redis.md); /readyz reports them. */
  redisSettings: RedisSettingsReport;
  queues: Queues;
  sessions: SessionStore;
  /** What the workers last saw of ACS and Blob storage (src/health). */
  health: HealthStore;
  container: ContainerClient;
  /** The storage account of the archive (other containers: audit, exports). */
  blobService: BlobServiceClient;
  /** The policies in force now: hot-reloaded, so read it per decision, never keep the list. */
  policies: () => readonly TeamPolicy[];
  /** Hash of the policy set in force (what /readyz reports and decisions cite as policySetHash). */
  policyHash: () => string;
  policyStatus: () => PolicyStatus;
  /** An earlier policy set of this process by its hash (decision.policySetHash), to decide a call in progress with the set it started with. */
  policiesFor: (policySetHash: string) => readonly TeamPolicy[] | undefined;
  /** The jurisdiction data in force, loaded and reloaded with the policies (docs/consent.md); null when there is none. */
  jurisdictions: () => JurisdictionData | null;
  /** Names for ids: the teams' `<team>.directory.yaml` beside the policies (docs/directory.md), re-read every 30 s. */
  directory: DirectorySource;
  close(): Promise<void>;
}

export async function createRuntime(config: Config, logger: Logger): Promise<Runtime> {
  // Policies first: invalid ones stop the start before any connection is opened.
  const policies = await createPolicySource(config.POLICY_DIR, logger, { onReload: countPolicyReload });
  // Invalid directory files stop the start too (docs/directory.md).
  const directory = await createFileDirectorySource(config.POLICY_DIR, logger).catch((error: unknown) => {
    policies.close();
    throw error;
  });
  // BullMQ needs maxRetriesPerRequest: null so blocking commands survive reconnects.
  const redis = createRedisClient(config.REDIS_URL, { maxRetriesPerRequest: null });
  redis.on("error", (error) => logger.warn({ err: error }, "redis connection error"));
  // Every process checks before using it: in production an evicting policy, or no AOF under INTAKE_DURABILITY=aof,
  // stops the start with what to set (ConfigError); elsewhere it is a warning.
  let redisSettings: RedisSettingsReport;
  try {
    redisSettings = await checkRedisSettings(redis, {
      production: config.NODE_ENV === "production",
      durability: intakeDurability(config),
      declared: declaredRedisSettings(config),
      warn: (message, nodes) => logger.warn({ redis: nodes }, message),
    });
  } catch (error) {
    policies.close();
    directory.close();
    redis.disconnect();
    throw error;
  }
  const queues = createQueues(redis, config.REDIS_PREFIX);
  // A key (connection string) or Microsoft Entra ID (BLOB_ACCOUNT_URL): docs/identity.md.
  const blobService = createBlobService(blobAccess(config));
  const container = blobService.getContainerClient(config.BLOB_CONTAINER);
  return {
    redis,
    redisSettings,
    queues,
    sessions: createRedisSessionStore(redis, config.REDIS_PREFIX),
    health: createHealthStore(redis, config.REDIS_PREFIX),
    container,
    blobService,
    policies: policies.current,
    policyHash: policies.hash,
    policyStatus: policies.status,
    policiesFor: policies.policiesFor,
    jurisdictions: () => policies.snapshot().jurisdictions,
    directory,
    async close() {
      policies.close();
      directory.close();
      await queues.close();
      redis.disconnect();
    },
  };
}

/** Policy reloads as metrics: a refused change shows as policy_load_errors > 0 until the files are fixed. */
export function countPolicyReload(outcome: ReloadOutcome): void {
  policyReloads.inc({ result: outcome.result });
  policyLoadErrors.set(outcome.result === "failure" ? outcome.problems.length : 0);
}
