/**
 * The two servers the intake benchmark compares, run in a child process so the load generator does not share
 * its CPU: `bare` (Koa reading and parsing a JSON body, nothing else) and `intake` (the real /api/eventgrid:
 * secret check, schema validation, de-duplication and queueing in Redis). Prints {"port":…} when listening.
 */
import { Redis } from "ioredis";
import Koa from "koa";
import { ACS_RECORDING_HOST_SUFFIXES } from "../src/config/index.js";
import { createApp } from "../src/http/app.js";
import { readBody } from "../src/intake/body.js";
import { createRedisEventSink } from "../src/intake/sink.js";
import { createLogger } from "../src/log.js";

const [kind, redisUrl, prefix, secret] = process.argv.slice(2);

function bare(): Koa {
  const app = new Koa();
  app.use(async (ctx) => {
    JSON.parse((await readBody(ctx.req, 1024 * 1024)).toString("utf8"));
    ctx.status = 200;
  });
  return app;
}

function intake(): Koa {
  // As src/webhook.ts configures intake's connection.
  const redis = new Redis(redisUrl!, { enableAutoPipelining: true, maxRetriesPerRequest: 1, commandTimeout: 5_000 });
  return createApp({
    logger: createLogger("silent", "bench"),
    sink: createRedisEventSink(redis, prefix!),
    callbackVerifier: { verify: async () => undefined },
    eventGridSecrets: [secret!],
    recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
    maxBodyBytes: 1024 * 1024,
    readiness: {},
  });
}

const server = (kind === "bare" ? bare() : intake()).listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
