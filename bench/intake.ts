/**
 * `npm run bench -- intake`: throughput and latency of POST /api/eventgrid (auth + validation + dedupe +
 * persistence in Redis) against a bare Koa JSON endpoint, both measured in this run with autocannon,
 * 50 connections, ~2 KB Event Grid events with a unique id per request.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { outboxKeys } from "../src/intake/outbox.js";
import { deleteKeysMatching } from "../scripts/lib/services.js";
import { writeResult, type BenchContext } from "./result.js";

const CONNECTIONS = 50;

/** A CallStarted in the Event Grid schema, padded to ~2 KB, with a fresh id for every request. */
function eventBody(id: string): string {
  const event = {
    id,
    topic:
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/bench/providers/Microsoft.Communication/communicationServices/bench",
    subject: "call/bench-call/startedBy/8:acs:bench_user",
    eventType: "Microsoft.Communication.CallStarted",
    eventTime: "2026-11-22T10:00:00Z",
    dataVersion: "1.0",
    metadataVersion: "1",
    data: {
      serverCallId: `call-${id}`,
      correlationId: "bench-correlation",
      isTwoParty: true,
      startedBy: {
        communicationIdentifier: {
          rawId: "8:acs:bench_user",
          kind: "communicationUser",
          communicationUser: { id: "8:acs:bench_user" },
        },
        role: "Attendee",
      },
      padding: "",
    },
  };
  const base = JSON.stringify([event]).length;
  event.data.padding = "x".repeat(Math.max(0, 2048 - base));
  return JSON.stringify([event]);
}

async function startServer(kind: "bare" | "intake", args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/intake-server.ts", kind, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return { port, stop: () => (child.kill("SIGTERM"), once(child, "exit")) };
}

async function load(url: string, seconds: number) {
  let sequence = 0;
  const result = await autocannon({
    url,
    method: "POST",
    connections: CONNECTIONS,
    duration: seconds,
    headers: { "content-type": "application/json; charset=utf-8" },
    requests: [
      {
        setupRequest: (request) => ({ ...request, body: eventBody(`bench-${process.pid}-${(sequence += 1)}`) }),
      },
    ],
  });
  const ok = result["2xx"];
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, ok };
}

export async function runIntakeBench(context: BenchContext): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const prefix = `bench-${randomBytes(4).toString("hex")}`;
  const secret = randomBytes(16).toString("hex");
  const eventBytes = Buffer.byteLength(eventBody("bench-0000000-0000000"));
  context.say(`intake: ${CONNECTIONS} connections, ~${eventBytes} byte events, ${seconds}s per endpoint`);

  const bare = await startServer("bare", []);
  await load(`http://127.0.0.1:${bare.port}/`, 2); // warm-up
  const baseline = await load(`http://127.0.0.1:${bare.port}/`, seconds);
  await bare.stop();
  context.say(
    `  bare Koa JSON   ${baseline.requestsPerSecond.toFixed(0)} req/s  p50 ${baseline.p50Ms} ms  p99 ${baseline.p99Ms} ms`,
  );

  const intake = await startServer("intake", [context.redisUrl, prefix, secret]);
  const url = `http://127.0.0.1:${intake.port}/api/eventgrid?code=${secret}`;
  await load(url, 2);
  const measured = await load(url, seconds);
  await intake.stop();
  context.say(
    `  /api/eventgrid  ${measured.requestsPerSecond.toFixed(0)} req/s  p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms`,
  );

  // Every accepted event is in the outbox (no relay runs here): check the count, then delete what this run created.
  const redis = new Redis(context.redisUrl);
  const seen = await redis.xlen(outboxKeys(prefix).stream);
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();

  const ratio = measured.requestsPerSecond / baseline.requestsPerSecond;
  context.say(
    `  throughput ratio ${(ratio * 100).toFixed(1)}% of bare (target ≥ 60%), p99 ${measured.p99Ms} ms (target ≤ 25 ms)`,
  );
  context.say(`  events stored in the outbox: ${seen}`);
  await writeResult("intake", {
    connections: CONNECTIONS,
    eventBytes,
    seconds,
    baseline,
    intake: measured,
    throughputRatio: ratio,
    eventsStored: seen,
    targets: { throughputRatio: 0.6, p99Ms: 25 },
    meetsTargets: ratio >= 0.6 && measured.p99Ms <= 25,
  });
}
