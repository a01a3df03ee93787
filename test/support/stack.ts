import type { ContainerClient } from "@azure/storage-blob";
import { safeSegment } from "../../src/archive/naming.js";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DestinationStream } from "pino";
import { inject } from "vitest";
import { deleteKeysMatching, freePort, startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { startSimulator, type RunningSimulator, type SimulatorTimings } from "../../simulator/index.js";
import type { RetentionPort } from "../../src/archive/retention.js";
import { loadConfig, type Config } from "../../src/config/index.js";
import { createLogger } from "../../src/log.js";
import { createRuntime, type Runtime } from "../../src/runtime.js";
import { startWebhook } from "../../src/webhook.js";
import { createWorkerDependencies } from "../../workers/dependencies.js";
import { startWorkers, type RunningWorkers } from "../../workers/run.js";
import { redisUrlOf, type RedisTargetName } from "./redis-targets.js";

/** Shipped example identities (policies/trading-desk.yaml). */
export { ALICE, BOB } from "../../scripts/local-stack/app-env.js";

export interface Stack {
  config: Config;
  /** The environment the config was loaded from: give it to worker processes started by a test. */
  env: Record<string, string>;
  simulator: RunningSimulator;
  runtime: Runtime;
  webhookUrl: string;
  /** The webhook's internal operations port (detailed /readyz, /metrics: src/http/ops.ts). */
  opsUrl: string;
  eventGridUrl: string;
  /** The ARM id the simulator's ACS resource logs under (with `diagnosticLogs`). */
  acsArmResourceId: string;
  /** Stops the private Azurite (its data stays); `startAzurite` brings it back on the same port and data. */
  stopAzurite(): Promise<void>;
  startAzurite(): Promise<void>;
  /** A second app instance (webhook + workers, own Redis connections) on the same Redis prefix and simulator. */
  startReplica(): Promise<{ webhookUrl: string; eventGridUrl: string }>;
  stop(): Promise<void>;
}

export interface StackOptions {
  policyDir?: string;
  timings?: Partial<SimulatorTimings>;
  /** "none": no workers in this process (a test starts worker processes itself, with `stack.env`). */
  workers?: "in-process" | "none";
  /** Further configuration variables, e.g. INGEST_BLOCK_BYTES. */
  env?: Record<string, string>;
  /** A retention port for the in-process workers (e.g. FakeRetention: Azurite has no immutability). */
  retention?: RetentionPort;
  /** Where the webhook's and workers' JSON log lines go (default stdout); set LOG_LEVEL in `env` too. */
  logDestination?: DestinationStream;
  /** Which Redis: the shared single server (default) or the test run's Redis Cluster. */
  redis?: RedisTargetName;
  /**
   * The simulator writes ACS's call logs into the stack's Azurite as a diagnostic setting would
   * (docs/reconciliation.md), this long after each call and recording.
   */
  diagnosticLogs?: { delayMs: number };
  /**
   * Bring your own storage (docs/byos.md): the simulator's ACS identity may write into the stack's Azurite, into
   * the containers named here (all of them when absent). `beforeRuntime` runs once Azurite is up and before the
   * policies are loaded, with the account's URL: a test writes policies naming its containers there.
   */
  customerStorage?: { grantedContainers?: string[] };
  beforeRuntime?: (azurite: { accountUrl: string; connectionString: string }) => Promise<void>;
}

/**
 * The whole system on one machine: a private Azurite, the simulator, the webhook and the workers, against the
 * shared Redis under a key prefix of this run only (deleted again on stop; nothing else is touched).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const stops: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const step of stops.reverse()) await step().catch(() => undefined);
  };
  try {
    const dataDir = await mkdtemp(join(tmpdir(), "recorder-e2e-"));
    stops.push(() => rm(dataDir, { recursive: true, force: true }));
    let azurite: RunningAzurite | undefined = await startAzurite(dataDir);
    const azuritePort = azurite.port;
    stops.push(async () => azurite?.stop());

    const accessKey = randomBytes(32).toString("base64");
    const resourceId = randomUUID();
    const acsArmResourceId = `/subscriptions/${randomUUID()}/resourceGroups/recorder-test/providers/Microsoft.Communication/communicationServices/acs-test`;
    const accountUrl = `http://127.0.0.1:${azuritePort}/devstoreaccount1`;
    const simulator = await startSimulator({
      accessKey,
      resourceId,
      timings: { ringMs: 100, connectMs: 30, recordingActivationMs: 100, fileStatusDelayMs: 200, ...options.timings },
      ...(options.diagnosticLogs
        ? {
            diagnosticLogs: {
              connectionString: azurite.connectionString,
              armResourceId: acsArmResourceId,
              delayMs: options.diagnosticLogs.delayMs,
            },
          }
        : {}),
      ...(options.customerStorage
        ? {
            customerStorage: {
              connectionString: azurite.connectionString,
              ...(options.customerStorage.grantedContainers
                ? { grantedContainers: options.customerStorage.grantedContainers.map((c) => `${accountUrl}/${c}`) }
                : {}),
            },
          }
        : {}),
    });
    stops.push(() => simulator.stop());
    await options.beforeRuntime?.({ accountUrl, connectionString: azurite.connectionString });

    const port = await freePort();
    const secret = randomBytes(16).toString("hex");
    const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
    const env: Record<string, string> = {
      NODE_ENV: "test",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      ACS_CONNECTION_STRING: simulator.connectionString,
      ACS_RESOURCE_ID: resourceId,
      ACS_OPENID_CONFIGURATION_URL: simulator.openIdConfigurationUrl,
      ACS_LOCAL_SIMULATOR_URL: simulator.url,
      REDIS_URL: redisUrlOf(options.redis ?? "single"),
      REDIS_PREFIX: prefix,
      BLOB_CONNECTION_STRING: azurite.connectionString,
      // Azurite speaks plain HTTP: SAS URLs must be usable over it here (https only anywhere else).
      BLOB_SAS_ALLOW_HTTP: "true",
      BLOB_CONTAINER: "recordings",
      POLICY_DIR: options.policyDir ?? "policies",
      EVENTGRID_SECRET: secret,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
      WORKER_CONCURRENCY: "4",
      OPS_PORT: "0",
      ...options.env,
    };
    const config = loadConfig(env);
    const logger = createLogger(config.LOG_LEVEL, "e2e", options.logDestination);
    const runtime = await createRuntime(config, logger);
    stops.push(async () => {
      await deleteKeysMatching(runtime.redis, `${prefix}:*`);
      await runtime.close();
    });
    await runtime.container.createIfNotExists();

    const webhook = await startWebhook(config, runtime, logger);
    stops.push(() => closeServer(webhook.server));
    if (options.workers !== "none") {
      const deps = createWorkerDependencies(config, runtime, logger);
      const workers: RunningWorkers = startWorkers(
        options.retention ? { ...deps, retention: options.retention } : deps,
        runtime.redis,
        prefix,
        config.WORKER_CONCURRENCY,
        config.WORKER_ROLE,
      );
      stops.push(() => workers.close());
    }

    const eventGridUrl = `${webhook.url}/api/eventgrid?code=${secret}`;
    await simulator.setEventGridSubscription(eventGridUrl);
    return {
      acsArmResourceId,
      config,
      env,
      simulator,
      runtime,
      webhookUrl: webhook.url,
      opsUrl: webhook.ops?.url ?? "",
      eventGridUrl,
      async stopAzurite() {
        await azurite?.stop();
        azurite = undefined;
      },
      async startAzurite() {
        azurite ??= await startAzurite(dataDir, azuritePort);
      },
      async startReplica() {
        const replicaPort = await freePort();
        const replicaUrl = `http://127.0.0.1:${replicaPort}`;
        const replicaConfig = loadConfig({ ...env, PORT: String(replicaPort), PUBLIC_BASE_URL: replicaUrl });
        const replicaRuntime = await createRuntime(replicaConfig, logger);
        stops.push(() => replicaRuntime.close());
        const replicaWebhook = await startWebhook(replicaConfig, replicaRuntime, logger);
        stops.push(() => closeServer(replicaWebhook.server));
        const replicaWorkers = startWorkers(
          createWorkerDependencies(replicaConfig, replicaRuntime, logger),
          replicaRuntime.redis,
          prefix,
          replicaConfig.WORKER_CONCURRENCY,
          replicaConfig.WORKER_ROLE,
        );
        stops.push(() => replicaWorkers.close());
        return { webhookUrl: replicaWebhook.url, eventGridUrl: `${replicaWebhook.url}/api/eventgrid?code=${secret}` };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** Polls until `probe` returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Places a call that lasts until its recording has been active for `recordedMs`, then ends it. A fixed call
 * length would end some calls before recording starts when the machine is loaded (then no recording at all);
 * this one ends only once there is something to archive.
 */
export async function placeRecordedCall(
  simulator: RunningSimulator,
  call: { from: string; to: string; recordedMs?: number },
): Promise<{ serverCallId: string }> {
  const { serverCallId } = await simulator.placeCall({ from: call.from, to: call.to, durationMs: 120_000 });
  await eventually(
    () => (simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
    30_000,
    `the recording of the call ${call.from} → ${call.to} to be active`,
  );
  await new Promise((r) => setTimeout(r, call.recordedMs ?? 500));
  await simulator.endCall(serverCallId);
  return { serverCallId };
}

/**
 * Waits until the call's content chunk has at least `blocks` staged but uncommitted blocks (an ingest caught
 * mid-way), and returns the chunk's blob name.
 */
export function stagedChunkBlob(
  container: ContainerClient,
  serverCallId: string,
  blocks: number,
  what: string,
  timeoutMs = 60_000,
): Promise<string> {
  return eventually(
    async () => {
      for await (const blob of container.listBlobsFlat({ includeUncommitedBlobs: true })) {
        if (!blob.name.includes(`/${safeSegment(serverCallId)}/`) || !blob.name.endsWith(".wav")) continue;
        const list = await container.getBlockBlobClient(blob.name).getBlockList("uncommitted");
        if ((list.uncommittedBlocks ?? []).length >= blocks) return blob.name;
      }
      return undefined;
    },
    timeoutMs,
    what,
  );
}
