/**
 * `npm run bench -- time-to-record`: from the app receiving CallStarted to the start-recording request reaching
 * ACS (the simulator, adding no latency), for 200 calls started over 10 s, with the webhook and a worker as
 * their own processes. Baseline in the same run: the same measure for calls placed one at a time.
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
import { startAppProcess, WORKER_NODE_FLAGS, type AppProcess } from "../scripts/lib/processes.js";
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

function latencies(sim: RunningSimulator, arrivals: Map<string, number>, calls: string[]): number[] {
  const starts = new Map<string, number>();
  for (const request of sim.requests()) {
    if (
      request.operation === "startRecording" &&
      request.status < 300 &&
      request.serverCallId &&
      !starts.has(request.serverCallId)
    ) {
      starts.set(request.serverCallId, Date.parse(request.at));
    }
  }
  return calls.flatMap((id) => {
    const from = arrivals.get(id);
    const to = starts.get(id);
    return from !== undefined && to !== undefined ? [to - from] : [];
  });
}

export async function runTimeToRecordBench(context: BenchContext): Promise<void> {
  const calls = Number(process.env.BENCH_CALLS ?? 200);
  const spreadMs = Number(process.env.BENCH_SPREAD_MS ?? 10_000);
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
    processes.push(
      await startAppProcess(
        "bench-worker",
        "workers/main.ts",
        env,
        { logLine: "workers running" },
        dataDir,
        WORKER_NODE_FLAGS,
      ),
    );
    await sim.setEventGridSubscription(`http://127.0.0.1:${port}/api/eventgrid?code=${secret}`);

    const recorded = (ids: string[]) => () =>
      ids.every((id) =>
        sim.requests().some((r) => r.operation === "startRecording" && r.serverCallId === id && r.status < 300),
      );

    // Baseline: calls placed one at a time, each waiting for its recording to start.
    const single: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { serverCallId } = await sim.placeCall({ from: ALICE, to: BOB, durationMs: 60_000 });
      single.push(serverCallId);
      await waitFor(recorded([serverCallId]), 20_000, "a single call's recording");
    }

    context.say(`time-to-record: ${calls} calls over ${spreadMs / 1000}s (webhook and worker as separate processes)`);
    const loaded: string[] = [];
    const started = Date.now();
    for (let i = 0; i < calls; i++) {
      const due = started + (i * spreadMs) / calls;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      loaded.push((await sim.placeCall({ from: ALICE, to: BOB, durationMs: 120_000 })).serverCallId);
    }
    await waitFor(recorded(loaded), 120_000, "every call's recording to start");
    await waitFor(
      async () => (await callStartedArrivals(redis, prefix)).size >= calls + single.length,
      30_000,
      "job records",
    );

    const arrivals = await callStartedArrivals(redis, prefix);
    const baseline = latencySummary(latencies(sim, arrivals, single));
    const measured = latencySummary(latencies(sim, arrivals, loaded));
    context.say(`  one at a time     p50 ${baseline.p50Ms} ms  p99 ${baseline.p99Ms} ms  (n=${baseline.count})`);
    context.say(
      `  ${calls} over ${spreadMs / 1000}s   p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms  max ${measured.maxMs} ms  (n=${measured.count})`,
    );
    context.say(
      `  p50 ratio loaded/one-at-a-time ${(measured.p50Ms / baseline.p50Ms).toFixed(2)}; p99 target ≤ 100 ms: ${measured.p99Ms <= 100 ? "met" : "NOT met"}`,
    );
    for (const id of [...single, ...loaded]) await sim.endCall(id);
    await writeResult("time-to-record", {
      calls,
      spreadMs,
      baseline,
      loaded: measured,
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
