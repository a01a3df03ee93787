import type { Server } from "node:http";
import {
  entraSettings,
  immutabilityMode,
  intakeDurability,
  playbackTicketSecret,
  serverSecret,
  type Config,
} from "./config/index.js";
import {
  durabilityLabel,
  createCallbackVerifier,
  createEntraDeliveryVerifier,
  createRedisEventSink,
  INTAKE_REDIS_OPTIONS,
} from "./intake/index.js";
import { intakeDurabilityMode } from "./metrics.js";
import { createApp, adminGuard, adminSessions, queuesBoard, createOpsApp, listenOps } from "./http/index.js";
import { createRedisClient } from "./redis/index.js";
import { createBlobAuditArchive, createActionAuditLog, createAuditLog } from "./audit/index.js";
import { createRecordingIndex, createSasMinter, createExportRequests, cursorCodec } from "./retrieval/index.js";
import { loadTokenStore } from "./auth/index.js";
import { loadEvidenceVerifier } from "./evidence/index.js";
import { isMember, policyReadiness } from "./policy/index.js";
import {
  attachClusterMetrics,
  aliveWorkers,
  HEARTBEAT_TTL_MS,
  rolesReadiness,
  unservedRoles,
} from "./observability/index.js";
import type { Logger } from "./log.js";
import type { Runtime } from "./runtime.js";
import { createReconcileReports } from "./reconcile/index.js";
import { createLedger } from "./ledger/index.js";
import { azureRetention, noRetention } from "./archive/index.js";
import { createReviewStores, createScorecardSource, reviewStatusOf } from "./reviews/index.js";

/**
 * Builds the Koa app from configuration and starts listening; with OPS_PORT, also the internal operations
 * server (detailed /readyz and /metrics: src/http/ops.ts).
 */
export async function startWebhook(
  config: Config,
  runtime: Runtime,
  logger: Logger,
): Promise<{ server: Server; url: string; ops?: { server: Server; url: string } }> {
  const entra = entraSettings(config);
  const durability = intakeDurability(config);
  intakeDurabilityMode.reset();
  intakeDurabilityMode.set({ mode: durabilityLabel(durability) }, 1);
  // Intake's own connection, so that nothing else queues behind (or ahead of) event persistence.
  const intakeRedis = createRedisClient(config.REDIS_URL, INTAKE_REDIS_OPTIONS);
  intakeRedis.on("error", (error) => logger.warn({ err: error }, "intake redis connection error"));
  const sink = createRedisEventSink(intakeRedis, config.REDIS_PREFIX, durability);
  const tokens = await loadTokenStore(config.API_TOKENS_FILE);
  const auditArchive = createBlobAuditArchive(runtime.blobService.getContainerClient(config.AUDIT_CONTAINER));
  const auditOptions = { streamMaxLen: config.AUDIT_STREAM_MAXLEN };
  const audit = createAuditLog(runtime.redis, config.REDIS_PREFIX, auditArchive, auditOptions);
  const secret = serverSecret(config);
  const recordingIndex = createRecordingIndex(runtime.redis, config.REDIS_PREFIX);
  // QA scorecards (docs/reviews.md): an invalid file stops the start, as a policy does; later changes are re-read
  // every 30 s, and a change that does not load keeps the set in force (alerted).
  const scorecards = await createScorecardSource(config.POLICY_DIR, (problems) =>
    logger.error(
      { alert: "scorecards-refused", problems },
      "ALERT scorecard change refused: the previous set stays in force",
    ),
  );
  const reviews = createReviewStores({
    redis: runtime.redis,
    prefix: config.REDIS_PREFIX,
    container: runtime.container,
    // A review is protected like its recording (docs/reviews.md "Storage").
    retention: immutabilityMode(config) === "azure" ? azureRetention(runtime.container) : noRetention,
    scorecards: scorecards.current,
    policies: runtime.policies,
  });
  const readiness = {
    redis: async () => {
      await runtime.redis.ping();
    },
    blob: async () => {
      await runtime.container.getProperties();
    },
    // Degraded (still ready) while a change on disk is refused: the previous set stays in force.
    policies: async () => {
      if (runtime.policies().length === 0) throw new Error("no policies loaded");
      return policyReadiness(runtime.policyStatus());
    },
    // Degraded (still ready) while no worker alive serves some role (docs/operations.md "Worker roles"): what it
    // runs waits in Redis. Taking this webhook out of service would only lose deliveries.
    workers: () => rolesReadiness(runtime.redis, config.REDIS_PREFIX),
  };
  // The policy set in force, and why the files on disk were refused if they were (the old set stays in force);
  // the workers alive. No worker is not "not ready": events are kept in Redis until a worker takes them, and
  // taking this webhook out of service would only lose deliveries (docs/operations.md "Health").
  const info = async () => ({
    policies: runtime.policyStatus(),
    workers: await workersInfo(runtime, config.REDIS_PREFIX),
    intake: { durability: durabilityLabel(durability), redis: redisInfo(runtime) },
  });
  // The calls API's audit (pause, resume, stop requests): also read by the recordings API's timeline.
  const callActions = createActionAuditLog(
    runtime.redis,
    config.REDIS_PREFIX,
    auditArchive,
    (entry, err) =>
      logger.error(
        { serverCallId: entry.serverCallId, auditId: entry.id, action: entry.action, err, alert: "audit-archive" },
        "ALERT audit entry kept in Redis only: Blob refused it",
      ),
    auditOptions,
  );
  const app = createApp({
    logger,
    sink,
    callbackVerifier: createCallbackVerifier(config.ACS_OPENID_CONFIGURATION_URL, config.ACS_RESOURCE_ID),
    eventGridSecrets: config.EVENTGRID_SECRET ?? [],
    eventGridEntra: entra && createEntraDeliveryVerifier(entra),
    recordingHostSuffixes: config.RECORDING_HOST_SUFFIXES,
    maxBodyBytes: config.MAX_BODY_BYTES,
    calls: {
      tokens,
      sessions: runtime.sessions,
      queues: runtime.queues,
      audit: callActions,
    },
    retrieval: {
      recordings: {
        tokens,
        audit,
        index: recordingIndex,
        container: runtime.container,
        cursors: cursorCodec(secret),
        directory: runtime.directory,
        // The list's review status: the recording's queue status, else "reviewed" (docs/reviews.md).
        reviewStatus: reviewStatusOf(reviews),
        isMember: (team, rawId) => {
          const policy = runtime.policies().find((p) => p.team.id === team);
          return policy !== undefined && isMember(policy, rawId);
        },
        timeline: {
          sessions: runtime.sessions,
          ledger: createLedger(runtime.redis, config.REDIS_PREFIX),
          callActions,
        },
        verifyConcurrency: config.VERIFY_CONCURRENCY,
        evidenceVerifier: loadEvidenceVerifier(config, (message) =>
          logger.warn({ alert: "evidence-development-key" }, message),
        ),
        playback: {
          ticketSecret: playbackTicketSecret(config),
          ticketTtlMs: config.PLAYBACK_TICKET_SECONDS * 1000,
          sas: config.PLAYBACK_SAS
            ? createSasMinter(runtime.blobService, runtime.container, { allowHttp: config.BLOB_SAS_ALLOW_HTTP })
            : undefined,
        },
      },
      exports: {
        tokens,
        audit,
        index: recordingIndex,
        queues: runtime.queues,
        exportContainer: runtime.blobService.getContainerClient(config.EXPORT_CONTAINER),
        requests: createExportRequests(runtime.redis, config.REDIS_PREFIX),
      },
      audit: { tokens, audit, archive: auditArchive },
      reconciliation: { tokens, audit, reports: createReconcileReports(runtime.redis, config.REDIS_PREFIX) },
      reviews: { tokens, audit, recordings: recordingIndex, reviews, directory: runtime.directory },
    },
    readiness,
    info,
    tokens,
    rateLimits: { perAddress: config.RATE_LIMIT_PER_ADDRESS, perToken: config.RATE_LIMIT_PER_TOKEN },
    trustProxy: config.TRUST_PROXY,
    admin: {
      guard: adminGuard({
        tokens,
        sessions: adminSessions(secret, config.ADMIN_SESSION_SECONDS),
        mode: config.ADMIN_BOARD_MODE,
        logger,
      }),
      board: queuesBoard(runtime.queues.all(), config.ADMIN_BOARD_MODE),
    },
  });
  const detachMetrics = attachClusterMetrics({
    redis: runtime.redis,
    prefix: config.REDIS_PREFIX,
    queues: runtime.queues.all(),
  });
  const server = app.listen(config.PORT, config.HOST);
  server.once("close", () => {
    scorecards.close();
    detachMetrics();
    sink.close?.();
    intakeRedis.disconnect();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  const ops =
    config.OPS_PORT === undefined
      ? undefined
      : await listenOps(createOpsApp({ readiness, info }), config.OPS_PORT, config.HOST);
  if (ops) server.once("close", () => ops.server.close());
  return { server, url: `http://${config.HOST}:${port}`, ...(ops ? { ops } : {}) };
}

async function workersInfo(runtime: Runtime, prefix: string) {
  try {
    const alive = await aliveWorkers(runtime.redis, prefix);
    return {
      alive: alive.length,
      heartbeatTtlSeconds: HEARTBEAT_TTL_MS / 1000,
      unservedRoles: unservedRoles(alive),
      workers: alive,
    };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** What /readyz says of Redis's settings as read at start: per server, its eviction policy and persistence. */
function redisInfo(runtime: Runtime) {
  const { nodes, warnings, checkedAt } = runtime.redisSettings;
  return {
    checkedAt,
    warnings,
    nodes: nodes.map(({ node, maxmemoryPolicy, appendonly, appendfsync, connectedReplicas, configRefused }) => ({
      node,
      maxmemoryPolicy,
      appendonly,
      ...(appendfsync ? { appendfsync } : {}),
      connectedReplicas,
      ...(configRefused ? { configGet: "refused" } : {}),
    })),
  };
}
