/**
 * `npm run bench -- time-to-record`: from the app receiving CallStarted to the start-recording request reaching
 * ACS (the simulator, adding no latency), for 200 calls started over 10 s, with the webhook and a worker as
 * their own processes, after 50 warm-up calls at the same rate (BENCH_WARMUP_CALLS; reported apart). Baseline in
 * the same run: the same measure for calls placed one at a time.
 * The simulator delivers events and callbacks concurrently, as Event Grid does, so its own queue adds nothing.
 * CallStarted arrival is the app's own record (`receivedAt` in the call-event job); arrival of the start is
 * the simulator's request log: both on this machine's clock.
 */
import { latencies as latencySummary } from "../scripts/lib/latency.js";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import { deleteKeysMatching, freePort, startAzurite } from "../scripts/lib/services.js";
import { ALICE, BOB, LOCAL_RESOURCE_ID, localAppEnv } from "../scripts/lib/app-env.js";
import { startAppProcess, startWorkerProcess, type AppProcess } from "../scripts/lib/processes.js";
import { startSimulator, type RunningSimulator } from "../simulator/index.js";
import { QueueName, queueKeyPrefix } from "../src/queues/index.js";
import { createRedisClient, type RedisClient } from "../src/redis/index.js";
import { writeResult, type BenchContext } from "./result.js";

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** serverCallId → when the app received its CallStarted (from the completed call-event jobs). */
async function callStartedArrivals(redis: RedisClient, prefix: string): Promise<Map<string, number>> {
  const queue = new Queue(QueueName.callEvents, {
    connection: redis,
    prefix: queueKeyPrefix(prefix, QueueName.callEvents),
  });
  const arrivals = new Map<string, number>();
  for (let start = 0; ; start += 1000) {
    const jobs = await queue.getJobs(["completed"], start, start + 999);
    for (const job of jobs) {
      const data = job.data as { event: { type: string; data: { serverCallId: string } }; receivedAt: string };
      if (data.event.type === "Microsoft.Communication.CallStarted") {
        arrivals.set(data.event.data.serverCallId, Date.parse(data.receivedAt));
      }
    }
    if (jobs.length < 1000) break;
  }
  await queue.close();
  return arrivals;
}

/** serverCallId → when the first accepted request of an operation for the call reached the simulator. */
function firstAccepted(sim: RunningSimulator, operation: string): Map<string, number> {
  const at = new Map<string, number>();
  for (const request of sim.requests()) {
    if (
      request.operation === operation &&
      request.status < 300 &&
      request.serverCallId &&
      !at.has(request.serverCallId)
    )
      at.set(request.serverCallId, Date.parse(request.at));
  }
  return at;
}

/** Per call, the time between two moments (calls missing either are left out). */
function between(from: Map<string, number>, to: Map<string, number>, calls: string[]): number[] {
  return calls.flatMap((id) => {
    const a = from.get(id);
    const b = to.get(id);
    return a !== undefined && b !== undefined ? [b - a] : [];
  });
}

export async function runTimeToRecordBench(context: BenchContext): Promise<void> {
  const calls = Number(process.env.BENCH_CALLS ?? 200);
  const spreadMs = Number(process.env.BENCH_SPREAD_MS ?? 10_000);
  const warmupCalls = Number(process.env.BENCH_WARMUP_CALLS ?? 50);
  const prefix = `bench-ttr-${randomBytes(4).toString("hex")}`;
  const dataDir = await mkdtemp(join(tmpdir(), "bench-ttr-"));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const redis = createRedisClient(context.redisUrl, { maxRetriesPerRequest: null });
  try {
    const azurite = await startAzurite(dataDir);
    cleanups.push(() => azurite.stop());
    const accessKey = randomBytes(32).toString("base64");
    const sim = await startSimulator({
      accessKey,
      resourceId: LOCAL_RESOURCE_ID,
      timings: { ringMs: 50, connectMs: 0, recordingActivationMs: 0, fileStatusDelayMs: 60_000 },
      // "The simulator adding no latency": deliveries go out as Event Grid sends them, concurrently, rather
      // than queueing one after another behind the previous answer.
      deliveryConcurrency: 32,
    });
    cleanups.push(() => sim.stop());
    const port = await freePort();
    const secret = randomUUID();
    const env = localAppEnv(
      {
        simulator: sim,
        resourceId: LOCAL_RESOURCE_ID,
        redisUrl: context.redisUrl,
        redisPrefix: prefix,
        blobConnectionString: azurite.connectionString,
        eventGridSecret: secret,
      },
      { port },
      { WORKER_CONCURRENCY: "16" },
    );
    const processes: AppProcess[] = [];
    cleanups.push(() => Promise.all(processes.map((p) => p.stop())));
    processes.push(await startAppProcess("bench-webhook", "src/main.ts", env, { port }, dataDir));
    processes.push(await startWorkerProcess("bench-worker", env, dataDir));
    await sim.setEventGridSubscription(`http://127.0.0.1:${port}/api/eventgrid?code=${secret}`);

    // One copy of the request log per check: the simulator runs in this process, and copying its log once per
    // call (200 × thousands of entries every 100 ms) stalled it while the last calls were still being recorded.
    const recorded = (ids: string[]) => () => {
      const started = new Set(
        sim
          .requests()
          .filter((r) => r.operation === "startRecording" && r.status < 300)
          .map((r) => r.serverCallId),
      );
      return ids.every((id) => started.has(id));
    };

    // Baseline: calls placed one at a time, each waiting for its recording to start.
    const single: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { serverCallId } = await sim.placeCall({ from: ALICE, to: BOB, durationMs: 60_000 });
      single.push(serverCallId);
      await waitFor(recorded([serverCallId]), 20_000, "a single call's recording");
    }

    /** Places `count` calls evenly over `overMs` (the rate of the measured run) and waits for their recordings. */
    const placeAtRate = async (count: number, overMs: number) => {
      const ids: string[] = [];
      const begun = Date.now();
      for (let i = 0; i < count; i++) {
        const wait = begun + (i * overMs) / count - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        ids.push((await sim.placeCall({ from: ALICE, to: BOB, durationMs: 120_000 })).serverCallId);
      }
      await waitFor(recorded(ids), 120_000, "every call's recording to start");
      return ids;
    };
    // Warm-up at the measured rate, reported apart: the first calls under concurrency pay for JIT compilation
    // and new connections (their p99 was up to 5× the rest's), which a running service has long paid.
    const warmup = await placeAtRate(warmupCalls, (warmupCalls * spreadMs) / calls);

    context.say(
      `time-to-record: ${calls} calls over ${spreadMs / 1000}s after ${warmupCalls} warm-up calls at the same rate (webhook and worker as separate processes)`,
    );
    const loaded = await placeAtRate(calls, spreadMs);
    await waitFor(
      async () => (await callStartedArrivals(redis, prefix)).size >= calls + warmupCalls + single.length,
      30_000,
      "job records",
    );

    const arrivals = await callStartedArrivals(redis, prefix);
    const connects = firstAccepted(sim, "connect");
    const starts = firstAccepted(sim, "startRecording");
    const baseline = latencySummary(between(arrivals, starts, single));
    const measured = latencySummary(between(arrivals, starts, loaded));
    const warmedUp = latencySummary(between(arrivals, starts, warmup));
    // Where the time goes: CallStarted → connect at ACS, then connect → start (the CallConnected callback's
    // round trip through the webhook); and whether the slow calls cluster in the first or the second half.
    const stages = {
      toConnect: latencySummary(between(arrivals, connects, loaded)),
      connectToStart: latencySummary(between(connects, starts, loaded)),
      firstHalf: latencySummary(between(arrivals, starts, loaded.slice(0, calls / 2))),
      secondHalf: latencySummary(between(arrivals, starts, loaded.slice(calls / 2))),
    };
    context.say(`  one at a time     p50 ${baseline.p50Ms} ms  p99 ${baseline.p99Ms} ms  (n=${baseline.count})`);
    context.say(`  warm-up           p50 ${warmedUp.p50Ms} ms  p99 ${warmedUp.p99Ms} ms  (n=${warmedUp.count})`);
    context.say(
      `  ${calls} over ${spreadMs / 1000}s   p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms  max ${measured.maxMs} ms  (n=${measured.count})`,
    );
    context.say(
      `  stages: CallStarted → connect p50 ${stages.toConnect.p50Ms} / p99 ${stages.toConnect.p99Ms} ms; connect → start p50 ${stages.connectToStart.p50Ms} / p99 ${stages.connectToStart.p99Ms} ms; first half p99 ${stages.firstHalf.p99Ms} ms, second half p99 ${stages.secondHalf.p99Ms} ms`,
    );
    context.say(
      `  p50 ratio loaded/one-at-a-time ${(measured.p50Ms / baseline.p50Ms).toFixed(2)}; p99 target ≤ 100 ms: ${measured.p99Ms <= 100 ? "met" : "NOT met"}`,
    );
    for (const id of [...single, ...warmup, ...loaded]) await sim.endCall(id);
    await writeResult("time-to-record", {
      calls,
      spreadMs,
      warmupCalls,
      warmup: warmedUp,
      baseline,
      loaded: measured,
      stages,
      p50Ratio: measured.p50Ms / baseline.p50Ms,
      target: { p99Ms: 100 },
      meetsTarget: measured.p99Ms <= 100,
    });
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  }
}
