/**
 * The servers the intake benchmark compares, run in a child process so the load generator does not share
 * its CPU. Baselines, doing nothing but take a JSON body: `bare` is the usual bare Koa JSON endpoint (Koa +
 * @koa/bodyparser, as the toolchain notes measure it), `bare-minimal` reads and parses the body by hand
 * (intake's own reader, the leanest Koa can be). `intake` is the real /api/eventgrid: secret check, schema
 * validation, de-duplication and persistence in Redis, acknowledged as INTAKE_DURABILITY says (the fifth argument:
 * memory, aof or replicas:N). Prints {"port":…} when listening.
 */
import { Redis } from "ioredis";
import { bodyParser } from "@koa/bodyparser";
import Koa from "koa";
import { ACS_RECORDING_HOST_SUFFIXES } from "../src/config/index.js";
import { createApp } from "../src/http/index.js";
import {
  readBody,
  parseDurability,
  createRedisEventSink,
  INTAKE_REDIS_OPTIONS,
  type EventSink,
} from "../src/intake/index.js";
import { createLogger } from "../src/log.js";

const [kind, redisUrl, prefix, secret, durabilityText = "memory"] = process.argv.slice(2);
// replicas:N waits up to 1 s (INTAKE_REPLICA_TIMEOUT_MS's default) for the replicas.
const durability = parseDurability(durabilityText, 1000);
if (!durability) throw new Error(`bad durability ${durabilityText}`);

function bare(): Koa {
  const app = new Koa();
  app.use(bodyParser());
  app.use((ctx) => {
    if (typeof ctx.request.body !== "object") throw new Error("expected a JSON body");
    ctx.status = 200;
  });
  return app;
}

function bareMinimal(): Koa {
  const app = new Koa();
  app.use(async (ctx) => {
    JSON.parse((await readBody(ctx.req, 1024 * 1024)).toString("utf8"));
    ctx.status = 200;
  });
  return app;
}

function intake(
  sink: EventSink = createRedisEventSink(new Redis(redisUrl!, INTAKE_REDIS_OPTIONS), prefix!, durability),
): Koa {
  // As src/webhook.ts configures intake's connection.
  return createApp({
    logger: createLogger("silent", "bench"),
    sink,
    callbackVerifier: { verify: async () => undefined },
    eventGridSecrets: [secret!],
    recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
    maxBodyBytes: 1024 * 1024,
    readiness: {},
  });
}

/**
 * Diagnostic (bench/intake-cost.ts): the real /api/eventgrid with a sink that stores nothing and answers at once,
 * to tell intake's own cost from the cost of its round trip to Redis.
 */
function intakeWithoutRedis(): Koa {
  return intake({
    accept: (_channel, { events }) =>
      Promise.resolve({ accepted: events.length, duplicates: 0, stored: events.map(() => true) }),
  });
}

const servers: Record<string, () => Koa> = {
  bare,
  "bare-minimal": bareMinimal,
  intake: () => intake(),
  "intake-without-redis": intakeWithoutRedis,
};
const server = servers[kind!]!().listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
