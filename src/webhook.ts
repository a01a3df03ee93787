import type { Server } from "node:http";
import { entraSettings, type Config } from "./config/index.js";
import { createBearerVerifier, remoteKeys } from "./intake/bearer.js";
import { createApp } from "./http/app.js";
import { createCallbackVerifier } from "./intake/callback-auth.js";
import { createRedisEventSink } from "./intake/sink.js";
import { createRedisClient } from "./redis/index.js";
import { createRedisAuditLog } from "./audit/log.js";
import { loadTokenStore } from "./auth/tokens.js";
import type { Logger } from "./log.js";
import type { Runtime } from "./runtime.js";

/** Builds the Koa app from configuration and starts listening. */
export async function startWebhook(
  config: Config,
  runtime: Runtime,
  logger: Logger,
): Promise<{ server: Server; url: string }> {
  const entra = entraSettings(config);
  // Intake's own connection: auto-pipelining batches the writes of concurrent deliveries, and a short command
  // timeout answers 5xx quickly when Redis is away, so Event Grid retries instead of waiting.
  const intakeRedis = createRedisClient(config.REDIS_URL, {
    enableAutoPipelining: true,
    maxRetriesPerRequest: 1,
    commandTimeout: 5_000,
  });
  intakeRedis.on("error", (error) => logger.warn({ err: error }, "intake redis connection error"));
  const tokens = await loadTokenStore(config.API_TOKENS_FILE);
  const app = createApp({
    logger,
    sink: createRedisEventSink(intakeRedis, config.REDIS_PREFIX),
    callbackVerifier: createCallbackVerifier(config.ACS_OPENID_CONFIGURATION_URL, config.ACS_RESOURCE_ID),
    eventGridSecrets: config.EVENTGRID_SECRET ?? [],
    eventGridEntra:
      entra && createBearerVerifier(async () => remoteKeys(entra.issuer, entra.jwksUrl), entra.audience, "Entra"),
    recordingHostSuffixes: config.RECORDING_HOST_SUFFIXES,
    maxBodyBytes: config.MAX_BODY_BYTES,
    calls: {
      tokens,
      sessions: runtime.sessions,
      queues: runtime.queues,
      audit: createRedisAuditLog(runtime.redis, config.REDIS_PREFIX),
    },
    readiness: {
      redis: async () => {
        await runtime.redis.ping();
      },
      blob: async () => {
        await runtime.container.getProperties();
      },
      policies: async () => {
        if (runtime.policies().length === 0) throw new Error("no policies loaded");
      },
    },
    // The policy set in force, and why the files on disk were refused if they were (the old set stays in force).
    info: () => ({ policies: runtime.policyStatus() }),
  });
  const server = app.listen(config.PORT, config.HOST);
  server.once("close", () => intakeRedis.disconnect());
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.PORT;
  return { server, url: `http://${config.HOST}:${port}` };
}
