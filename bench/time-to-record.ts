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
import { Queue } from "bullmq";
import { deleteKeysMatching, freePort, startAzurite } from "../scripts/local-stack/services.js";
import { ALICE, BOB, LOCAL_RESOURCE_ID, localAppEnv } from "../scripts/local-stack/app-env.js";
import { build } from "../scripts/build.js";
import {
  cpuSecondsOf,
  productionProcess,
  startAppProcess,
  startWorkerProcess,
  type AppProcess,
} from "../scripts/local-stack/processes.js";
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

/**
 * The moments of a call's path to its recording, each on this machine's clock (ms): from the app's own records
 * (completed BullMQ jobs: when their event reached the webhook, when each job was queued and began) and the
 * simulator's request log.
 */
const MOMENTS = [
  "callStartedIn", // the webhook received CallStarted (time-to-record's origin)
  "callStartedRun", // its call-event job began: after the outbox relay and the queue
  "connectQueued", // the connect-call job was queued
  "connectRun", // …and began
  "connectAtAcs", // the connect request reached ACS
  "callConnectedIn", // the webhook received the CallConnected callback
  "callConnectedRun", // its call-event job began
  "startQueued", // the start-recording job was queued
  "startRun", // …and began
  "startAtAcs", // the start-recording request reached ACS
] as const;
type Moment = (typeof MOMENTS)[number];
type Timeline = Partial<Record<Moment, number>>;

/** Every call's timeline so far (see MOMENTS), from the completed jobs of the call-events and control queues. */
async function timelines(redis: RedisClient, prefix: string, sim: RunningSimulator): Promise<Map<string, Timeline>> {
  const byCall = new Map<string, Timeline>();
  const note = (serverCallId: string, moment: Moment, at: number | undefined) => {
    if (at === undefined || !Number.isFinite(at)) return;
    const timeline = byCall.get(serverCallId) ?? {};
    timeline[moment] ??= at;
    byCall.set(serverCallId, timeline);
  };
  for (const name of [QueueName.callEvents, QueueName.control]) {
    const queue = new Queue(name, { connection: redis, prefix: queueKeyPrefix(prefix, name) });
    for (let start = 0; ; start += 1000) {
      const jobs = await queue.getJobs(["completed"], start, start + 999);
      for (const job of jobs) {
        const data = job.data as {
          serverCallId?: string;
          event?: { type: string; data: { serverCallId: string } };
          receivedAt?: string;
        };
        if (job.name === "call-event" && data.event && data.receivedAt) {
          const call = data.event.data.serverCallId;
          const kind = { CallStarted: "callStarted", CallConnected: "callConnected" }[
            data.event.type.replace("Microsoft.Communication.", "")
          ] as "callStarted" | "callConnected" | undefined;
          if (kind) {
            note(call, `${kind}In`, Date.parse(data.receivedAt));
            note(call, `${kind}Run`, job.processedOn);
          }
        } else if (data.serverCallId && (job.name === "connect-call" || job.name === "start-recording")) {
          const kind = job.name === "connect-call" ? "connect" : "start";
          note(data.serverCallId, `${kind}Queued`, job.timestamp);
          note(data.serverCallId, `${kind}Run`, job.processedOn);
        }
      }
      if (jobs.length < 1000) break;
    }
    await queue.close();
  }
  for (const [call, at] of firstAccepted(sim, "connect")) note(call, "connectAtAcs", at);
  for (const [call, at] of firstAccepted(sim, "startRecording")) note(call, "startAtAcs", at);
  return byCall;
}

/** Per call, the time from one moment to another (calls missing either are left out). */
function between(timelines: Map<string, Timeline>, from: Moment, to: Moment, calls: string[]): number[] {
  return calls.flatMap((id) => {
    const a = timelines.get(id)?.[from];
    const b = timelines.get(id)?.[to];
    return a !== undefined && b !== undefined ? [b - a] : [];
  });
}

/** The time between consecutive moments of one call's timeline, named by the later moment. */
function segmentsOf(timeline: Timeline): string {
  return MOMENTS.slice(1)
    .map((moment, i) => {
      const from = timeline[MOMENTS[i]!];
      const to = timeline[moment];
      return `${moment} +${from !== undefined && to !== undefined ? to - from : "?"}`;
    })
    .join(", ");
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

/**
 * CPU seconds so far of each party on this machine: the webhook and worker processes, Redis (its own INFO), and
 * this process — the simulator, standing in for ACS and Event Grid, which in production run elsewhere.
 */
async function cpuSnapshot(processes: AppProcess[], redis: RedisClient): Promise<Record<string, number>> {
  const snapshot: Record<string, number> = {};
  for (const { name, child } of processes) if (child.pid) snapshot[name] = await cpuSecondsOf(child.pid);
  const info = await redis.info("cpu");
  const seconds = (field: string) => Number(new RegExp(`${field}:([0-9.]+)`).exec(info)?.[1] ?? 0);
  snapshot.redis = seconds("used_cpu_user") + seconds("used_cpu_sys");
  const own = process.cpuUsage();
  snapshot.simulator = (own.user + own.system) / 1e6;
  return snapshot;
}

/** Commands Redis has run so far, scripts' own commands included (INFO commandstats). */
async function redisCommands(redis: RedisClient): Promise<number> {
  const stats = await redis.info("commandstats");
  return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, [, calls]) => sum + Number(calls), 0);
}

function cpuPerCall(before: Record<string, number>, after: Record<string, number>, calls: number) {
  return Object.fromEntries(
    Object.entries(after).map(([name, seconds]) => [name, ((seconds - (before[name] ?? 0)) * 1000) / calls]),
  );
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
    const cpuBefore = await cpuSnapshot(processes, redis);
    const commandsBefore = await redisCommands(redis);
    const loaded = await placeAtRate(calls, spreadMs);
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
      `  CPU per call during the run: ${Object.entries(cpuPerCallMs)
        .map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`)
        .join(", ")}; Redis commands per call ${redisCommandsPerCall.toFixed(0)}`,
    );
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
