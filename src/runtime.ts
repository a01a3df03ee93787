import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { Redis } from "ioredis";
import type { Config } from "./config/index.js";
import type { Logger } from "./log.js";
import { loadPolicies, type TeamPolicy } from "./policy/index.js";
import { createQueues, type Queues } from "./queues/index.js";
import { createRedisSessionStore, type SessionStore } from "./sessions/index.js";

/** The adapters both processes share, built once from configuration. */
export interface Runtime {
  redis: Redis;
  queues: Queues;
  sessions: SessionStore;
  container: ContainerClient;
  policies: () => readonly TeamPolicy[];
  close(): Promise<void>;
}

export async function createRuntime(config: Config, logger: Logger): Promise<Runtime> {
  // BullMQ needs maxRetriesPerRequest: null so blocking commands survive reconnects.
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
  redis.on("error", (error) => logger.warn({ err: error }, "redis connection error"));
  const queues = createQueues(redis, config.REDIS_PREFIX);
  const container = BlobServiceClient.fromConnectionString(config.BLOB_CONNECTION_STRING).getContainerClient(
    config.BLOB_CONTAINER,
  );
  const loaded = await loadPolicies(config.POLICY_DIR);
  logger.info({ teams: loaded.map((p) => ({ team: p.team.id, file: p.file, hash: p.hash })) }, "policies loaded");
  return {
    redis,
    queues,
    sessions: createRedisSessionStore(redis, config.REDIS_PREFIX),
    container,
    policies: () => loaded,
    async close() {
      await queues.close();
      redis.disconnect();
    },
  };
}
