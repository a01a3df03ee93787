import { userInfo } from "node:os";
import type { ContainerClient } from "@azure/storage-blob";
import { type AssignStores, azureRetention, noRetention, type RetentionPort } from "../archive/index.js";
import { createBlobAuditArchive, createAuditLog } from "../audit/index.js";
import { blobServiceFromEnvironment, createBlobService } from "../azure/index.js";
import { loadPolicies } from "../policy/index.js";
import { createRedisSessionStore } from "../sessions/index.js";
import { Queue } from "bullmq";
import { z } from "zod";
import { createLedger, type Ledger } from "../ledger/index.js";
import { createRecordingIndex, type RecordingIndex } from "../retrieval/index.js";
import { chainLogs, type ChainLog, loadEvidenceSigner, type EvidenceSigner } from "../evidence/index.js";
import { QueueName, queueKeyPrefix } from "../queues/index.js";
import { checkRedisSettings, parseDeclaredSettings, parseRedisUrl, type RedisClient } from "../redis/index.js";
import { reachRedis } from "./reach.js";
import { readStackFile } from "./stack-file.js";

// The CLI needs only Redis to see the queues and the ledger, not the whole service configuration.
const env = z.object({
  REDIS_URL: z.string().refine(
    (url) => {
      try {
        return parseRedisUrl(url) !== undefined;
      } catch {
        return false;
      }
    },
    { message: "REDIS_URL must be redis://host:port, rediss://…, redis+cluster://… or redis+sentinel://…" },
  ),
  REDIS_PREFIX: z.string().default("cr"),
});

/** REDIS_URL / REDIS_PREFIX from the environment, else the local stack started by `npm start`. */
async function redisSettings(variables: Record<string, string | undefined>): Promise<z.infer<typeof env>> {
  if (variables.REDIS_URL) {
    const parsed = env.safeParse(variables);
    if (!parsed.success) throw new Error(parsed.error.issues.map((issue) => issue.message).join("; "));
    return parsed.data;
  }
  try {
    const stack = await readStackFile();
    return { REDIS_URL: stack.redisUrl, REDIS_PREFIX: stack.redisPrefix };
  } catch {
    throw new Error(
      "Which Redis? Set REDIS_URL (and REDIS_PREFIX, default cr) as the service has them, or start the local stack with npm start.",
    );
  }
}

/** The queues; `forWriting` checks Redis first as openRedisForWriting does (`jobs retry`). */
export async function openQueues(
  variables: Record<string, string | undefined> = process.env,
  forWriting = false,
): Promise<{ all: Queue[]; close(): Promise<void> }> {
  const { REDIS_URL, REDIS_PREFIX } = await redisSettings(variables);
  const connection = await reachRedis(REDIS_URL, { maxRetriesPerRequest: null });
  if (forWriting)
    await checkBeforeWriting(connection, variables).catch((error: unknown) => {
      connection.disconnect();
      throw error;
    });
  const all = Object.values(QueueName).map(
    (name) => new Queue(name, { connection, prefix: queueKeyPrefix(REDIS_PREFIX, name) }),
  );
  return {
    all,
    async close() {
      await Promise.all(all.map((queue) => queue.close()));
      connection.disconnect();
    },
  };
}

export async function openLedger(
  variables: Record<string, string | undefined> = process.env,
): Promise<{ ledger: Ledger; close(): void }> {
  const { REDIS_URL, REDIS_PREFIX } = await redisSettings(variables);
  const redis = await reachRedis(REDIS_URL, { maxRetriesPerRequest: 3 });
  return { ledger: createLedger(redis, REDIS_PREFIX), close: () => redis.disconnect() };
}

/**
 * The listing index and the archive: REDIS_URL/REDIS_PREFIX and BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL
 * (Entra, docs/identity.md) with BLOB_CONTAINER, else the local stack.
 */
export async function openRetrievalStores(
  variables: Record<string, string | undefined> = process.env,
): Promise<{ index: RecordingIndex; container: ContainerClient; close(): void }> {
  const { REDIS_URL, REDIS_PREFIX } = await redisSettings(variables);
  let container = blobServiceFromEnvironment(variables)?.getContainerClient(variables.BLOB_CONTAINER ?? "recordings");
  if (!container) {
    const stack = await readStackFile().catch(() => {
      throw new Error(
        "Which storage? Set BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL (and BLOB_CONTAINER) as the service has them, or start the local stack with npm start.",
      );
    });
    container = createBlobService({ kind: "key", connectionString: stack.blobConnectionString }).getContainerClient(
      stack.blobContainer,
    );
  }
  const redis = await reachRedis(REDIS_URL, { maxRetriesPerRequest: 3 });
  return {
    index: createRecordingIndex(redis, REDIS_PREFIX),
    container,
    close: () => redis.disconnect(),
  };
}

/**
 * What `recorder recordings assign` needs: the archive, the ledger, the sessions and listing index, the audit
 * trail (Redis stream and AUDIT_CONTAINER), retention as the service applies it (ARCHIVE_IMMUTABILITY, else
 * `azure` when NODE_ENV=production) and the policies (POLICY_DIR).
 */
export async function openAssignStores(
  variables: Record<string, string | undefined> = process.env,
): Promise<{ stores: AssignStores; actor: string; close(): void }> {
  const { REDIS_PREFIX } = await redisSettings(variables);
  const retrieval = await openRetrievalStores(variables);
  const mode = variables.ARCHIVE_IMMUTABILITY ?? (variables.NODE_ENV === "production" ? "azure" : "off");
  if (mode !== "azure" && mode !== "off") throw new Error("ARCHIVE_IMMUTABILITY must be azure or off");
  const blobService =
    blobServiceFromEnvironment(variables) ??
    createBlobService({ kind: "key", connectionString: (await readStackFile()).blobConnectionString });
  const auditContainer = blobService.getContainerClient(variables.AUDIT_CONTAINER ?? "audit");
  const { redis } = await openRedisForWriting(variables);
  const stores: AssignStores = {
    container: retrieval.container,
    retention: mode === "azure" ? azureRetention(retrieval.container) : noRetention,
    sessions: createRedisSessionStore(redis, REDIS_PREFIX),
    ledger: createLedger(redis, REDIS_PREFIX),
    index: retrieval.index,
    audit: createAuditLog(redis, REDIS_PREFIX, createBlobAuditArchive(auditContainer)),
    policies: await loadPolicies(variables.POLICY_DIR ?? "policies"),
    signer: evidenceSigner(variables),
    ingest: { blockBytes: Number(variables.INGEST_BLOCK_BYTES ?? 4 * 1024 * 1024), concurrency: 3 },
  };
  return {
    stores,
    actor: userInfo().username,
    close: () => {
      retrieval.close();
      redis.disconnect();
    },
  };
}

/**
 * A Redis connection for a command that writes (REDIS_URL/REDIS_PREFIX, else the local stack), checked first as
 * the service checks it at start: with NODE_ENV=production an evicting maxmemory-policy stops the command
 * (docs/redis.md); otherwise it is a warning on stderr.
 */
export async function openRedisForWriting(
  variables: Record<string, string | undefined> = process.env,
  warn: (line: string) => void = (line) => console.error(line),
): Promise<{ redis: RedisClient; prefix: string; close(): void }> {
  const { REDIS_URL, REDIS_PREFIX } = await redisSettings(variables);
  const redis = await reachRedis(REDIS_URL, { maxRetriesPerRequest: 3 });
  try {
    await checkBeforeWriting(redis, variables, warn);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return { redis, prefix: REDIS_PREFIX, close: () => redis.disconnect() };
}

async function checkBeforeWriting(
  redis: RedisClient,
  variables: Record<string, string | undefined>,
  warn: (line: string) => void = (line) => console.error(line),
): Promise<void> {
  await checkRedisSettings(redis, {
    production: variables.NODE_ENV === "production",
    declared: variables.REDIS_DECLARED_SETTINGS ? parseDeclaredSettings(variables.REDIS_DECLARED_SETTINGS) : undefined,
    warn: (message) => warn(`warning: ${message}`),
  });
}

/** A Redis connection for a command that only reads (REDIS_URL/REDIS_PREFIX, else the local stack). */
export async function openRedisForReading(
  variables: Record<string, string | undefined> = process.env,
): Promise<{ redis: RedisClient; prefix: string; close(): void }> {
  const { REDIS_URL, REDIS_PREFIX } = await redisSettings(variables);
  const redis = await reachRedis(REDIS_URL, { maxRetriesPerRequest: 3 });
  return { redis, prefix: REDIS_PREFIX, close: () => redis.disconnect() };
}

/** The evidence signing key as the service loads it (EVIDENCE_SIGNING_KEY_FILE, else the development key). */
export function evidenceSigner(variables: Record<string, string | undefined> = process.env): EvidenceSigner {
  const nodeEnv =
    variables.NODE_ENV === "production" || variables.NODE_ENV === "test" ? variables.NODE_ENV : "development";
  return loadEvidenceSigner(
    { NODE_ENV: nodeEnv, EVIDENCE_SIGNING_KEY_FILE: variables.EVIDENCE_SIGNING_KEY_FILE },
    (message) => console.error(`warning: ${message}`),
  );
}

/**
 * What `recorder ledger checkpoint | verify` need: the chains in Redis, the archive container (checkpoints),
 * the audit trail's container (its durable copy), retention as the service applies it.
 */
export async function openEvidenceStores(variables: Record<string, string | undefined> = process.env): Promise<{
  container: ContainerClient;
  auditArchive: ContainerClient;
  retention: RetentionPort;
  retentionDays: number;
  logs: Record<"ledger" | "audit", ChainLog>;
  close(): void;
}> {
  const retrieval = await openRetrievalStores(variables);
  const { REDIS_PREFIX } = await redisSettings(variables);
  const mode = variables.ARCHIVE_IMMUTABILITY ?? (variables.NODE_ENV === "production" ? "azure" : "off");
  if (mode !== "azure" && mode !== "off") throw new Error("ARCHIVE_IMMUTABILITY must be azure or off");
  const blobService =
    blobServiceFromEnvironment(variables) ??
    createBlobService({ kind: "key", connectionString: (await readStackFile()).blobConnectionString });
  const retentionDays = Number(variables.EVIDENCE_RETENTION_DAYS ?? 2557);
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw new Error("EVIDENCE_RETENTION_DAYS must be a whole number ≥ 1");
  const { redis } = await openRedisForReading(variables);
  return {
    container: retrieval.container,
    auditArchive: blobService.getContainerClient(variables.AUDIT_CONTAINER ?? "audit"),
    retention: mode === "azure" ? azureRetention(retrieval.container) : noRetention,
    retentionDays,
    logs: chainLogs(redis, REDIS_PREFIX),
    close: () => {
      retrieval.close();
      redis.disconnect();
    },
  };
}
