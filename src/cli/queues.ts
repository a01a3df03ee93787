import type { ContainerClient } from "@azure/storage-blob";
import { blobServiceFromEnvironment, createBlobService } from "../azure/credentials.js";
import { Queue } from "bullmq";
import { z } from "zod";
import { createLedger, type Ledger } from "../ledger/index.js";
import { createRecordingIndex, type RecordingIndex } from "../retrieval/index-store.js";
import { QueueName, queueKeyPrefix } from "../queues/index.js";
import { parseRedisUrl } from "../redis/index.js";
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

export async function openQueues(
  variables: Record<string, string | undefined> = process.env,
): Promise<{ all: Queue[]; close(): Promise<void> }> {
  const { REDIS_URL, REDIS_PREFIX } = await redisSettings(variables);
  const connection = await reachRedis(REDIS_URL, { maxRetriesPerRequest: null });
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
