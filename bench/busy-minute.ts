/**
 * `npm run bench -- busy-minute`: a contact centre's busiest minute — new calls starting while the recordings of
 * calls that ended are archived — on the deployed layout: the webhook, a control worker (`WORKER_ROLE=control`)
 * and an ingest worker (`WORKER_ROLE=ingest,retrieval,operations`, as deployed; it nices itself) as their own processes, compiled
 * (`npm run build`, PRODUCTION_COMMANDS). Each round, in the same invocation:
 *
 * - quiet: 200 calls over 10 s (BENCH_CALLS, BENCH_SPREAD_MS), nothing else running — time to record (CallStarted
 *   at the webhook → start-recording at ACS), CPU, Redis commands and jobs per call;
 * - ingest alone: 1 GiB of recordings (4 chunks of 256 MiB, BENCH_INGEST_MB / BENCH_INGEST_CHUNKS) queued at
 *   once — MB/s from the first chunk's start to the last one's end;
 * - busy: the same ingest queued, and at once 200 calls over 10 s — time to record and ingest MB/s.
 *
 * Rounds (BENCH_ROUNDS, default 3) alternate the order of "alone" and "busy" (one Azurite serves the run and slows
 * a little as it fills); the figures are the medians of the rounds. Targets: busy p99 ≤ 100 ms and ≤ 2.5 × the
 * quiet p99; ingest during the busy minute ≥ 0.7 of ingest alone. BUSY_LAYOUT=all runs one worker of every role
 * instead (the layout before roles), for comparison. Calls are ended after each phase and the queues left to
 * settle before the next; their recordings are never published (only the bench's 1 GiB is ingested).
 *
 * The simulator (ACS and Event Grid) runs in this process, as in the time-to-record bench; the recordings are
 * served by a second simulator instance here too (ACS_LOCAL_SIMULATOR_URL routes downloads to it), ~0.4 CPU-s per
 * GB. Redis commands per call count every client's: give it a Redis nothing else uses (REDIS_URL).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { build } from "../scripts/build.js";
import { ALICE, BOB, LOCAL_RESOURCE_ID, localAppEnv } from "../scripts/local-stack/app-env.js";
import {
  productionProcess,
  startAppProcess,
  startWorkerProcess,
  type AppProcess,
} from "../scripts/local-stack/processes.js";
import { deleteKeysMatching, freePort, startAzurite } from "../scripts/local-stack/services.js";
import { startSimulator, type RunningSimulator } from "../simulator/index.js";
import { createCallAutomationClient } from "../src/acs/index.js";
import { loadConfig } from "../src/config/index.js";
import { createQueues, ingestChunk, jobIdFor, type Queues } from "../src/queues/index.js";
import { createRedisClient, type RedisClient } from "../src/redis/index.js";
import {
  between,
  controlSettled,
  cpuPerCall,
  cpuSnapshot,
  jobsLine,
  jobsPerCall,
  redisCommands,
  timelines,
  waitFor,
} from "./call-path.js";
import { latencies, type Latencies } from "./latency.js";
import { ingestJobOf, type ServedChunk } from "./ingest-job.js";
import { writeResult, type BenchContext } from "./result.js";

const MIB = 1024 * 1024;
/** Mixed 16 kHz mono WAV, as the simulator synthesizes it: bytes per second of recording. */
const WAV_BYTES_PER_SECOND = 32_000;

type Chunk = ServedChunk;

const ingestReturn = z.object({ content: z.object({ sizeBytes: z.number(), sha256: z.string() }) });

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * One recording of `totalBytes` in chunks of `chunkBytes`, made on the recordings simulator (no app is subscribed
 * to it: nothing but the bench knows of the call), as the chunks it serves.
 */
async function recordChunks(
  sim: RunningSimulator,
  acs: ReturnType<typeof createCallAutomationClient>,
  totalBytes: number,
  chunkBytes: number,
): Promise<Chunk[]> {
  const recordingDurationMs = Math.ceil((totalBytes / WAV_BYTES_PER_SECOND) * 1000);
  const { serverCallId } = await sim.placeCall({
    from: ALICE,
    to: BOB,
    durationMs: 600_000,
    recordingDurationMs,
    chunkMaxBytes: chunkBytes,
    chunkMaxDurationMs: recordingDurationMs + 1000,
  });
  await waitFor(() => sim.getCall(serverCallId)?.state === "established", 10_000, "the recorded call to connect");
  const recording = acs.getCallRecording();
  const { recordingId } = await recording.start({
    callLocator: { id: serverCallId, kind: "serverCallLocator" },
    recordingContent: "audio",
    recordingChannel: "mixed",
    recordingFormat: "wav",
  });
  await waitFor(() => sim.getCall(serverCallId)?.recordings[0]?.state === "active", 10_000, "the recording");
  await recording.stop(recordingId);
  await waitFor(() => (sim.getCall(serverCallId)?.recordings[0]?.chunks.length ?? 0) > 0, 10_000, "its chunks");
  return (sim.getCall(serverCallId)?.recordings[0]?.chunks ?? []).map((chunk) => ({
    serverCallId,
    recordingId,
    ...chunk,
  }));
}

interface IngestRun {
  bytes: number;
  seconds: number;
  mbps: number;
}

/** Queues the chunks' ingest jobs at once; resolves when every one is archived with the bytes served. */
async function ingest(queues: Queues, chunks: Chunk[]): Promise<IngestRun> {
  for (const chunk of chunks) {
    await queues.enqueue(ingestChunk, ingestJobOf(chunk));
  }
  const ids = chunks.map((chunk) => jobIdFor("ingest", chunk.recordingId, String(chunk.index)));
  for (;;) {
    const jobs = await Promise.all(ids.map((id) => queues.getJob(ingestChunk, id)));
    const failed = jobs.find((job) => job?.failedReason);
    if (failed) throw new Error(`an ingest job failed: ${failed.failedReason}`);
    if (jobs.every((job) => job?.finishedOn !== undefined && job.processedOn !== undefined)) {
      jobs.forEach((job, i) => {
        const archived = ingestReturn.parse(job!.returnvalue).content;
        if (archived.sizeBytes !== chunks[i]!.sizeBytes || archived.sha256 !== chunks[i]!.sha256)
          throw new Error(`chunk ${i} archived with another size or hash than the one served`);
      });
      const start = Math.min(...jobs.map((job) => job!.processedOn!));
      const end = Math.max(...jobs.map((job) => job!.finishedOn!));
      const bytes = chunks.reduce((sum, chunk) => sum + chunk.sizeBytes, 0);
      const seconds = (end - start) / 1000;
      return { bytes, seconds, mbps: bytes / 1e6 / seconds };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface CallsRun {
  ids: string[];
  timeToRecord: Latencies;
  cpuPerCallMs: Record<string, number>;
  redisCommandsPerCall: number;
}

export async function runBusyMinuteBench(context: BenchContext): Promise<void> {
  const calls = Number(process.env.BENCH_CALLS ?? 200);
  const spreadMs = Number(process.env.BENCH_SPREAD_MS ?? 10_000);
  const warmupCalls = Number(process.env.BENCH_WARMUP_CALLS ?? 50);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const ingestBytes = Number(process.env.BENCH_INGEST_MB ?? 1024) * MIB;
  const ingestChunks = Number(process.env.BENCH_INGEST_CHUNKS ?? 4);
  const layout = process.env.BUSY_LAYOUT === "all" ? "all" : "split";
  const prefix = `bench-busy-${randomBytes(4).toString("hex")}`;
  const dataDir = await mkdtemp(join(tmpdir(), "bench-busy-"));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const redis: RedisClient = createRedisClient(context.redisUrl, { maxRetriesPerRequest: null });
  const say = (line: string) => context.say(`busy-minute: ${line}`);
  try {
    const azurite = await startAzurite(dataDir);
    cleanups.push(() => azurite.stop());
    const accessKey = randomBytes(32).toString("base64");
    // ACS and Event Grid for the calls: recordings never published (the calls' own would be ingested too).
    const sim = await startSimulator({
      accessKey,
      resourceId: LOCAL_RESOURCE_ID,
      timings: { ringMs: 50, connectMs: 0, recordingActivationMs: 0, fileStatusDelayMs: 3_600_000 },
      deliveryConcurrency: 32,
    });
    cleanups.push(() => sim.stop());
    // The recordings to ingest, served by a simulator of their own (same key): downloads are routed to it.
    const recordings = await startSimulator({
      accessKey,
      resourceId: LOCAL_RESOURCE_ID,
      timings: { ringMs: 10, connectMs: 0, recordingActivationMs: 10, fileStatusDelayMs: 10 },
    });
    cleanups.push(() => recordings.stop());
    const port = await freePort();
    const secret = randomUUID();
    const env = {
      ...localAppEnv(
        {
          simulator: sim,
          resourceId: LOCAL_RESOURCE_ID,
          redisUrl: context.redisUrl,
          redisPrefix: prefix,
          blobConnectionString: azurite.connectionString,
          eventGridSecret: secret,
        },
        { port },
      ),
      ACS_LOCAL_SIMULATOR_URL: recordings.url,
    };
    const acs = createCallAutomationClient(loadConfig({ ...env, ACS_CONNECTION_STRING: recordings.connectionString }));
    // Every phase's recordings up front, before the app subscribes (it never hears of these calls).
    const phases = rounds * 2;
    say(`recording ${phases} × ${ingestBytes / MIB} MiB on the recordings simulator (${ingestChunks} chunks each)`);
    const toIngest: Chunk[][] = [];
    for (let i = 0; i < phases; i++)
      toIngest.push(await recordChunks(recordings, acs, ingestBytes, Math.ceil(ingestBytes / ingestChunks)));

    say("building dist/ (npm run build): the webhook and workers as deployed");
    await build();
    const processes: AppProcess[] = [];
    cleanups.push(() => Promise.all(processes.map((p) => p.stop())));
    processes.push(await startAppProcess("busy-webhook", productionProcess("webhook").entry, env, { port }, dataDir));
    const workerEntry = productionProcess("worker").entry;
    if (layout === "split") {
      processes.push(
        await startWorkerProcess(
          "busy-worker-control",
          { ...env, WORKER_ROLE: "control", WORKER_CONCURRENCY: "16" },
          dataDir,
          workerEntry,
        ),
      );
      processes.push(
        await startWorkerProcess(
          "busy-worker-ingest",
          { ...env, WORKER_ROLE: "ingest,retrieval,operations" },
          dataDir,
          workerEntry,
        ),
      );
    } else {
      processes.push(
        await startWorkerProcess(
          "busy-worker-all",
          { ...env, WORKER_ROLE: "all", WORKER_CONCURRENCY: "16" },
          dataDir,
          workerEntry,
        ),
      );
    }
    await sim.setEventGridSubscription(`http://127.0.0.1:${port}/api/eventgrid?code=${secret}`);
    const queues = createQueues(redis, prefix);
    cleanups.push(() => queues.close());

    const recorded = (ids: string[]) => () => {
      const started = new Set(
        sim
          .requests()
          .filter((r) => r.operation === "startRecording" && r.status < 300)
          .map((r) => r.serverCallId),
      );
      return ids.every((id) => started.has(id));
    };
    const placeAtRate = async (count: number, overMs: number) => {
      const ids: string[] = [];
      const begun = Date.now();
      for (let i = 0; i < count; i++) {
        const wait = begun + (i * overMs) / count - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        ids.push((await sim.placeCall({ from: ALICE, to: BOB, durationMs: 600_000 })).serverCallId);
      }
      await waitFor(recorded(ids), 120_000, "every call's recording to start");
      return ids;
    };
    /** Places calls at the measured rate; their time to record, and the CPU and Redis commands per call meanwhile. */
    const measuredCalls = async (): Promise<CallsRun> => {
      const cpuBefore = await cpuSnapshot(processes, redis);
      const commandsBefore = await redisCommands(redis);
      const ids = await placeAtRate(calls, spreadMs);
      await controlSettled(redis, prefix);
      const cpu = cpuPerCall(cpuBefore, await cpuSnapshot(processes, redis), calls);
      const redisCommandsPerCall = Math.round(((await redisCommands(redis)) - commandsBefore) / calls);
      let timeline = await timelines(redis, prefix, sim);
      await waitFor(
        async () => {
          timeline = await timelines(redis, prefix, sim);
          return ids.every((id) => timeline.get(id)?.callStartedIn !== undefined);
        },
        30_000,
        "job records",
      );
      return {
        ids,
        timeToRecord: latencies(between(timeline, "callStartedIn", "startAtAcs", ids)),
        cpuPerCallMs: cpu,
        redisCommandsPerCall,
      };
    };
    /** Ends the calls, and waits until their events are handled (only delayed jobs left) before the next phase. */
    const settle = async (ids: string[]) => {
      for (const id of ids) await sim.endCall(id);
      await controlSettled(redis, prefix);
      await new Promise((r) => setTimeout(r, 1_000));
    };

    // Warm-up at the measured rate, reported apart (JIT, connections), then the rounds.
    const warmup = await placeAtRate(warmupCalls, (warmupCalls * spreadMs) / calls);
    await settle(warmup);
    say(
      `layout ${layout === "split" ? "control and ingest workers as separate processes" : "one worker of every role"}; ${calls} calls over ${spreadMs / 1000} s per phase; ${(ingestBytes / 1e6).toFixed(0)} MB to ingest; ${rounds} rounds`,
    );
    const results: {
      quiet: CallsRun;
      alone: IngestRun;
      busy: CallsRun & { ingest: IngestRun };
      jobsPerCall: Record<string, number>;
    }[] = [];
    let next = 0;
    /** A round that failed (on an overloaded machine: calls not recorded within 2 minutes); the rounds before it count. */
    let failed: string | undefined;
    for (let round = 0; round < rounds && !failed; round++) {
      try {
        const quiet = await measuredCalls();
        const jobs = await jobsPerCall(redis, prefix, quiet.ids);
        await settle(quiet.ids);
        let alone: IngestRun | undefined;
        let busy: (CallsRun & { ingest: IngestRun }) | undefined;
        for (const phase of round % 2 === 0 ? (["alone", "busy"] as const) : (["busy", "alone"] as const)) {
          const chunks = toIngest[next++]!;
          if (phase === "alone") {
            alone = await ingest(queues, chunks);
          } else {
            const ingesting = ingest(queues, chunks);
            // A failed ingest fails the run, not an unhandled rejection while the calls are placed.
            ingesting.catch(() => undefined);
            const run = await measuredCalls();
            busy = { ...run, ingest: await ingesting };
            await settle(run.ids);
          }
        }
        results.push({ quiet, alone: alone!, busy: busy!, jobsPerCall: jobs });
        say(
          `round ${round + 1}: quiet p50 ${quiet.timeToRecord.p50Ms} / p99 ${quiet.timeToRecord.p99Ms} ms; busy p50 ${busy!.timeToRecord.p50Ms} / p99 ${busy!.timeToRecord.p99Ms} ms (max ${busy!.timeToRecord.maxMs}); ingest alone ${alone!.mbps.toFixed(0)} MB/s, busy ${busy!.ingest.mbps.toFixed(0)} MB/s`,
        );
      } catch (error) {
        failed = `round ${round + 1}: ${(error as Error).message}`;
        say(`${failed} — the medians below are of the ${results.length} rounds before it`);
      }
    }
    if (results.length === 0) throw new Error(`busy-minute: no round completed (${failed ?? "none run"})`);

    const figures = {
      quietP50Ms: median(results.map((r) => r.quiet.timeToRecord.p50Ms)),
      quietP99Ms: median(results.map((r) => r.quiet.timeToRecord.p99Ms)),
      busyP50Ms: median(results.map((r) => r.busy.timeToRecord.p50Ms)),
      busyP99Ms: median(results.map((r) => r.busy.timeToRecord.p99Ms)),
      busyOverQuietP99: median(results.map((r) => r.busy.timeToRecord.p99Ms / r.quiet.timeToRecord.p99Ms)),
      ingestAloneMBps: median(results.map((r) => r.alone.mbps)),
      ingestBusyMBps: median(results.map((r) => r.busy.ingest.mbps)),
      ingestBusyOverAlone: median(results.map((r) => r.busy.ingest.mbps / r.alone.mbps)),
      redisCommandsPerCallQuiet: median(results.map((r) => r.quiet.redisCommandsPerCall)),
      cpuPerCallMsQuiet: Object.fromEntries(
        Object.keys(results[0]?.quiet.cpuPerCallMs ?? {}).map((name) => [
          name,
          Number(median(results.map((r) => r.quiet.cpuPerCallMs[name] ?? NaN)).toFixed(1)),
        ]),
      ),
      cpuPerCallMsBusy: Object.fromEntries(
        Object.keys(results[0]?.busy.cpuPerCallMs ?? {}).map((name) => [
          name,
          Number(median(results.map((r) => r.busy.cpuPerCallMs[name] ?? NaN)).toFixed(1)),
        ]),
      ),
    };
    const met = {
      busyP99: figures.busyP99Ms <= 100,
      busyOverQuiet: figures.busyOverQuietP99 <= 2.5,
      ingest: figures.ingestBusyOverAlone >= 0.7,
    };
    say(
      `medians of ${rounds} rounds: time to record quiet p50 ${figures.quietP50Ms} / p99 ${figures.quietP99Ms} ms; busy p50 ${figures.busyP50Ms} / p99 ${figures.busyP99Ms} ms (${figures.busyOverQuietP99.toFixed(2)} × quiet p99)`,
    );
    say(
      `ingest alone ${figures.ingestAloneMBps.toFixed(0)} MB/s, during the busy minute ${figures.ingestBusyMBps.toFixed(0)} MB/s (${figures.ingestBusyOverAlone.toFixed(2)} of alone)`,
    );
    say(
      `per call (quiet): Redis commands ${figures.redisCommandsPerCallQuiet}; CPU ${Object.entries(
        figures.cpuPerCallMsQuiet,
      )
        .map(([name, ms]) => `${name} ${ms} ms`)
        .join(", ")}`,
    );
    say(`${jobsLine(results[0]?.jobsPerCall ?? {})}`);
    say(
      `targets: busy p99 ≤ 100 ms ${met.busyP99 ? "met" : "NOT met"}; ≤ 2.5 × quiet p99 ${met.busyOverQuiet ? "met" : "NOT met"}; ingest ≥ 0.7 of alone ${met.ingest ? "met" : "NOT met"}`,
    );
    const path = await writeResult("busy-minute", {
      layout,
      calls,
      spreadMs,
      warmupCalls,
      rounds,
      ingestBytes,
      ingestChunks,
      ...figures,
      targets: { busyP99Ms: 100, busyOverQuietP99: 2.5, ingestBusyOverAlone: 0.7 },
      met,
      ...(failed ? { failedRound: failed } : {}),
      results: results.map((r) => ({
        quiet: { ...r.quiet, ids: undefined },
        alone: r.alone,
        busy: { ...r.busy, ids: undefined },
        jobsPerCall: r.jobsPerCall,
      })),
    });
    say(`written ${path}`);
    if (failed) throw new Error(`busy-minute: ${failed}`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  }
}
