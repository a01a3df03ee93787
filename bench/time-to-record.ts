/**
 * `npm run bench -- time-to-record`: from the app receiving CallStarted to the start-recording request reaching
 * ACS (the simulator, adding no latency), for 200 calls started over 10 s, with the webhook and a worker as
 * their own processes in their production form (`npm run build`, then PRODUCTION_COMMANDS), after 50 warm-up
 * calls at the same rate (BENCH_WARMUP_CALLS; reported apart). Baseline in the same run: the same measure for
 * calls placed one at a time. Redis commands per call count every client's: run it on a Redis nothing else uses.
 * The simulator delivers events and callbacks concurrently, as Event Grid does, so its own queue adds nothing.
 * CallStarted arrival is the app's own record (`receivedAt` in the call-event job); arrival of the start is
 * the simulator's request log: both on this machine's clock.
 */
import { latencies as latencySummary } from "./latency.js";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deleteKeysMatching, freePort, startAzurite } from "../scripts/local-stack/services.js";
import { ALICE, BOB, LOCAL_RESOURCE_ID, localAppEnv } from "../scripts/local-stack/app-env.js";
import { build } from "../scripts/build.js";
import {
  productionProcess,
  startAppProcess,
  startWorkerProcess,
  type AppProcess,
} from "../scripts/local-stack/processes.js";
import { startSimulator } from "../simulator/index.js";
import { createRedisClient } from "../src/redis/index.js";
import {
  between,
  cpuPerCall,
  controlSettled,
  cpuSnapshot,
  jobsLine,
  jobsPerCall,
  MOMENTS,
  type Moment,
  redisCommands,
  segmentsOf,
  type Timeline,
  timelines,
  waitFor,
} from "./call-path.js";
import { profileLines, startRedisProfile, type RedisProfile } from "./redis-profile.js";
import { writeResult, type BenchContext } from "./result.js";

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
    // As deployed: compiled JavaScript, the production commands and flags (no TypeScript loader in the process).
    context.say("time-to-record: building dist/ (npm run build): the webhook and worker as deployed");
    await build();
    processes.push(await startAppProcess("bench-webhook", productionProcess("webhook").entry, env, { port }, dataDir));
    processes.push(await startWorkerProcess("bench-worker", env, dataDir, productionProcess("worker").entry));
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
    // BENCH_PROFILE=1: what each Redis command was for (MONITOR, which costs Redis CPU: the times are then not the figures).
    const profiling = process.env.BENCH_PROFILE === "1" ? await startRedisProfile(context.redisUrl) : undefined;
    const cpuBefore = await cpuSnapshot(processes, redis);
    const commandsBefore = await redisCommands(redis);
    const loaded = await placeAtRate(calls, spreadMs);
    // CPU and commands per call count all the calls' work, done once the queues are idle again (controlSettled).
    await controlSettled(redis, prefix);
    const profile: RedisProfile | undefined = await profiling?.stop();
    const cpuPerCallMs = cpuPerCall(cpuBefore, await cpuSnapshot(processes, redis), calls);
    const redisCommandsPerCall = Math.round((await redisCommands(redis)) - commandsBefore) / calls;
    const everyCall = [...single, ...warmup, ...loaded];
    let timeline = new Map<string, Timeline>();
    await waitFor(
      async () => {
        timeline = await timelines(redis, prefix, sim);
        return everyCall.every((id) => timeline.get(id)?.callStartedIn !== undefined);
      },
      30_000,
      "job records",
    );
    const timeToRecord = (ids: string[]) => latencySummary(between(timeline, "callStartedIn", "startAtAcs", ids));
    const baseline = timeToRecord(single);
    const measured = timeToRecord(loaded);
    const warmedUp = timeToRecord(warmup);
    // Where the time goes: each step of the path (see MOMENTS), and whether the slow calls cluster in the first
    // or the second half of the run.
    const steps = Object.fromEntries(
      MOMENTS.slice(1).map((moment, i) => [moment, latencySummary(between(timeline, MOMENTS[i]!, moment, loaded))]),
    ) as Record<Moment, ReturnType<typeof latencySummary>>;
    const stages = {
      ...steps,
      firstHalf: timeToRecord(loaded.slice(0, calls / 2)),
      secondHalf: timeToRecord(loaded.slice(calls / 2)),
    };
    const slowest = [...loaded]
      .sort(
        (a, b) =>
          (between(timeline, "callStartedIn", "startAtAcs", [b])[0] ?? 0) -
          (between(timeline, "callStartedIn", "startAtAcs", [a])[0] ?? 0),
      )
      .slice(0, 3);
    context.say(`  one at a time     p50 ${baseline.p50Ms} ms  p99 ${baseline.p99Ms} ms  (n=${baseline.count})`);
    context.say(`  warm-up           p50 ${warmedUp.p50Ms} ms  p99 ${warmedUp.p99Ms} ms  (n=${warmedUp.count})`);
    context.say(
      `  ${calls} over ${spreadMs / 1000}s   p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms  max ${measured.maxMs} ms  (n=${measured.count})`,
    );
    context.say(
      `  steps, p50 / p99 ms: ${MOMENTS.slice(1)
        .map((moment) => `${moment} ${steps[moment].p50Ms} / ${steps[moment].p99Ms}`)
        .join(", ")}`,
    );
    context.say(`  first half p99 ${stages.firstHalf.p99Ms} ms, second half p99 ${stages.secondHalf.p99Ms} ms`);
    for (const id of slowest) context.say(`  slow call: ${segmentsOf(timeline.get(id) ?? {})}`);
    context.say(
      `  CPU per call (the run and its queued work): ${Object.entries(cpuPerCallMs)
        .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
        .join(", ")}; Redis commands per call ${redisCommandsPerCall.toFixed(0)}`,
    );
    const jobs = await jobsPerCall(redis, prefix, loaded);
    context.say(`  ${jobsLine(jobs)}`);
    if (profile) for (const line of profileLines(profile, calls)) context.say(`  ${line}`);
    context.say(
      `  p50 ratio loaded/one-at-a-time ${(measured.p50Ms / baseline.p50Ms).toFixed(2)}; p99 target ≤ 100 ms: ${measured.p99Ms <= 100 ? "met" : "NOT met"}`,
    );
    for (const id of everyCall) await sim.endCall(id);
    await writeResult("time-to-record", {
      calls,
      spreadMs,
      warmupCalls,
      warmup: warmedUp,
      baseline,
      loaded: measured,
      stages,
      slowest: slowest.map((id) => segmentsOf(timeline.get(id) ?? {})),
      cpuPerCallMs,
      redisCommandsPerCall,
      jobsPerCall: jobs,
      ...(profile ? { redisProfile: profile } : {}),
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
