/**
 * `npm run bench -- ingest`: MB/s and peak RSS of the worker ingesting a 1 GiB recording chunk from the simulator
 * into Azurite, against a raw `uploadStream` of the same bytes from the same source, in the same run.
 *
 * - ingest: the worker as it is deployed — `npm run build`, then `node <WORKER_NODE_FLAGS> dist/workers/main.js`
 *   with the production process environment and its default settings — runs one real `ingest-chunk` job for the
 *   chunk: content and ACS metadata document streamed, hashed, staged, committed, verified, then the manifest,
 *   the retrieval index and the ledger (the chunk-peaks job it queues runs after, untimed: waveform, not archiving).
 *   Its time is the job's run (BullMQ processedOn → finishedOn); its peak RSS
 *   is the worker process's high-water mark (VmHWM), so it includes everything the worker loads at start.
 * - raw: `uploadStream` of the download in its own process (bench/raw-copy.ts; tsx's loader is in its RSS), with
 *   the same process environment.
 *
 * Each copy gets an Azurite of its own, started empty (one Azurite serving copy after copy drifts into garbage
 * collection: 7 % of its CPU over its first four 1 GB copies, 26 % over the next three, so the raw copy, which
 * comes first in a round, would be favoured). Rounds alternate raw and ingest (BENCH_INGEST_ROUNDS, default 3);
 * each ingest is compared with the raw copy just before it, and the figure is the median of those round ratios
 * (the best of each is printed too, as it was the figure before). CPU seconds per GB of the
 * copy, Azurite and the simulator (this process) are printed too: on a shared machine MB/s follows the load,
 * CPU per GB much less. Linux only (the worker's figures are read from /proc).
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { z } from "zod";
import { build } from "../scripts/build.js";
import { ALICE, BOB } from "../scripts/local-stack/app-env.js";
import {
  cpuSecondsOf,
  PRODUCTION_COMMANDS,
  PRODUCTION_PROCESS_ENV,
  productionProcess,
  projectRoot,
  startWorkerProcess,
} from "../scripts/local-stack/processes.js";
import {
  azuriteConnectionString,
  deleteKeysMatching,
  startAzurite,
  type RunningAzurite,
} from "../scripts/local-stack/services.js";
import { startSimulator, type ChunkView, type RunningSimulator } from "../simulator/index.js";
import { createCallAutomationClient } from "../src/acs/index.js";
import { loadConfig, type Config } from "../src/config/index.js";
import { createQueues, ingestChunk, jobIdFor } from "../src/queues/index.js";
import { createRedisClient } from "../src/redis/index.js";
import { ingestJobOf } from "./ingest-job.js";
import { writeResult, type BenchContext } from "./result.js";

const GIB = 1024 * 1024 * 1024;

const rawResult = z.object({
  bytes: z.number(),
  seconds: z.number(),
  peakRssBytes: z.number(),
  baselineRssBytes: z.number(),
  cpuSeconds: z.number(),
});
/** The archived chunk, as the ingest-chunk job returns it. */
const ingestReturn = z.object({
  content: z.object({ sizeBytes: z.number(), sha256: z.string(), outcome: z.string() }),
});

type Measured = z.infer<typeof rawResult>;
interface Run extends Measured {
  mode: "raw" | "ingest";
  azuriteCpuSeconds: number;
  simulatorCpuSeconds: number;
}

/** The recorded chunk as the simulator serves it (size and SHA-256 of the bytes it serves). */
type Chunk = ChunkView & { serverCallId: string; recordingId: string };

/** A process's figures: CPU seconds so far, resident and peak resident bytes (/proc/<pid>/status VmRSS, VmHWM). */
async function processFigures(pid: number): Promise<{ cpuSeconds: number; rssBytes: number; peakRssBytes: number }> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { cpuSeconds: await cpuSecondsOf(pid), rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function rawCopy(input: { blobName: string; contentLocation: string; env: Record<string, string> }) {
  return new Promise<Measured>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/raw-copy.ts"], {
      cwd: projectRoot,
      env: { ...process.env, ...PRODUCTION_PROCESS_ENV, BENCH_INPUT: JSON.stringify(input) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (data: Buffer) => (out += data.toString()));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`raw copy exited with ${code}`));
      try {
        resolve(rawResult.parse(JSON.parse(out.trim().split("\n").at(-1) ?? "")));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** The compiled worker, started for this copy alone, runs the chunk's ingest-chunk job. */
async function workerIngest(
  chunk: Chunk,
  env: Record<string, string>,
  redisUrl: string,
  logDir: string,
): Promise<Measured> {
  const prefix = `bench-ingest-${randomBytes(4).toString("hex")}`;
  const redis = createRedisClient(redisUrl, { maxRetriesPerRequest: null });
  const queues = createQueues(redis, prefix);
  // The worker announces readiness at info.
  const worker = await startWorkerProcess(
    "bench-ingest-worker",
    { ...env, REDIS_PREFIX: prefix, LOG_LEVEL: "info" },
    logDir,
    productionProcess("worker").entry,
  );
  try {
    const pid = worker.child.pid;
    if (pid === undefined) throw new Error("the worker has no pid");
    const before = await processFigures(pid);
    // The id the ingest job is queued under (src/queues/kinds/ingest.ts).
    const jobId = jobIdFor("ingest", chunk.recordingId, String(chunk.index));
    await queues.enqueue(ingestChunk, ingestJobOf(chunk));
    for (;;) {
      const job = await queues.getJob(ingestChunk, jobId);
      if (job?.failedReason) throw new Error(`the ingest job failed (see ${worker.log}): ${job.failedReason}`);
      if (job?.finishedOn !== undefined && job.processedOn !== undefined) {
        const after = await processFigures(pid);
        const archived = ingestReturn.parse(job.returnvalue).content;
        // One fresh attempt, or the time would include a retry's backoff.
        if (job.attemptsMade > 1 || archived.outcome !== "fresh")
          throw new Error(`the ingest took ${job.attemptsMade} attempts (${archived.outcome}); see ${worker.log}`);
        if (archived.sizeBytes !== chunk.sizeBytes || archived.sha256 !== chunk.sha256)
          throw new Error(`ingest archived ${archived.sizeBytes} bytes, or with another hash than the source`);
        return {
          bytes: archived.sizeBytes,
          seconds: (job.finishedOn - job.processedOn) / 1000,
          peakRssBytes: after.peakRssBytes,
          baselineRssBytes: before.rssBytes,
          cpuSeconds: after.cpuSeconds - before.cpuSeconds,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await worker.stop();
    await queues.close();
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
  }
}

/** Runs one copy against an Azurite of its own, started empty and stopped after (see the top of this file). */
async function withFreshAzurite<T>(
  dataDir: string,
  run: (azurite: RunningAzurite, container: ContainerClient) => Promise<T>,
): Promise<T> {
  const location = await mkdtemp(join(dataDir, "azurite-"));
  const azurite = await startAzurite(location);
  try {
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient("bench");
    await container.createIfNotExists();
    return await run(azurite, container);
  } finally {
    await azurite.stop();
    await rm(location, { recursive: true, force: true });
  }
}

/** A call recorded for 1 GiB of mixed 16 kHz mono WAV (32 000 B/s), synthesized from the offset by the simulator. */
async function recordOneGibChunk(sim: RunningSimulator, config: Config): Promise<Chunk> {
  const { serverCallId } = await sim.placeCall({
    from: ALICE,
    to: BOB,
    durationMs: 60_000,
    recordingDurationMs: Math.ceil(GIB / 32),
    chunkMaxDurationMs: Math.ceil(GIB / 32) + 1000,
  });
  while (sim.getCall(serverCallId)?.state !== "established") await new Promise((r) => setTimeout(r, 20));
  const recording = createCallAutomationClient(config).getCallRecording();
  const { recordingId } = await recording.start({
    callLocator: { id: serverCallId, kind: "serverCallLocator" },
    recordingContent: "audio",
    recordingChannel: "mixed",
    recordingFormat: "wav",
  });
  while (sim.getCall(serverCallId)?.recordings[0]?.state !== "active") await new Promise((r) => setTimeout(r, 20));
  await recording.stop(recordingId);
  for (;;) {
    const chunk = sim.getCall(serverCallId)?.recordings[0]?.chunks[0];
    if (chunk) return { serverCallId, recordingId, ...chunk };
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runIngestBench(context: BenchContext): Promise<void> {
  context.say("ingest: building dist/ (npm run build): the worker as deployed");
  await build();
  const dataDir = await mkdtemp(join(tmpdir(), "recorder-bench-ingest-"));
  const resourceId = randomUUID();
  const sim = await startSimulator({
    accessKey: randomBytes(32).toString("base64"),
    resourceId,
    timings: { ringMs: 20, connectMs: 10, recordingActivationMs: 20, fileStatusDelayMs: 20 },
  });
  try {
    const env: Record<string, string> = {
      NODE_ENV: "development",
      PUBLIC_BASE_URL: "http://127.0.0.1:1",
      ACS_CONNECTION_STRING: sim.connectionString,
      ACS_RESOURCE_ID: resourceId,
      ACS_LOCAL_SIMULATOR_URL: sim.url,
      REDIS_URL: context.redisUrl,
      // Each copy's own Azurite (withFreshAzurite) replaces this; nothing before a copy uses it.
      BLOB_CONNECTION_STRING: azuriteConnectionString(1),
      BLOB_CONTAINER: "bench",
      EVENTGRID_SECRET: "unused",
      POLICY_DIR: "policies",
      // INGEST_BLOCK_BYTES / INGEST_BLOCK_CONCURRENCY from the environment, else the worker's defaults.
      ...(process.env.INGEST_BLOCK_BYTES ? { INGEST_BLOCK_BYTES: process.env.INGEST_BLOCK_BYTES } : {}),
      ...(process.env.INGEST_BLOCK_CONCURRENCY
        ? { INGEST_BLOCK_CONCURRENCY: process.env.INGEST_BLOCK_CONCURRENCY }
        : {}),
    };
    const config = loadConfig(env);
    const chunk = await recordOneGibChunk(sim, config);
    context.say(`ingest: chunk of ${(chunk.sizeBytes / 1e6).toFixed(0)} MB`);

    const rounds = Number(process.env.BENCH_INGEST_ROUNDS ?? 3);
    const runs: Run[] = [];
    const perGb = (r: Run, seconds: number) => Number((seconds / (r.bytes / 1e9)).toFixed(2));
    for (let round = 0; round < rounds; round++) {
      for (const mode of ["raw", "ingest"] as const) {
        const run = await withFreshAzurite(dataDir, async (azurite): Promise<Run> => {
          const copyEnv = { ...env, BLOB_CONNECTION_STRING: azurite.connectionString };
          const azuritePid = azurite.process.pid;
          if (azuritePid === undefined) throw new Error("Azurite has no pid");
          const azuriteBefore = await processFigures(azuritePid);
          const simulatorBefore = process.cpuUsage();
          const measured =
            mode === "raw"
              ? await rawCopy({ blobName: `raw-${round}.wav`, contentLocation: chunk.contentLocation, env: copyEnv })
              : await workerIngest(chunk, copyEnv, context.redisUrl, dataDir);
          const simulatorCpu = process.cpuUsage(simulatorBefore);
          const azuriteAfter = await processFigures(azuritePid);
          return {
            mode,
            ...measured,
            azuriteCpuSeconds: azuriteAfter.cpuSeconds - azuriteBefore.cpuSeconds,
            simulatorCpuSeconds: (simulatorCpu.user + simulatorCpu.system) / 1e6,
          };
        });
        if (run.bytes !== chunk.sizeBytes) throw new Error(`${mode}: copied ${run.bytes} of ${chunk.sizeBytes} bytes`);
        context.say(
          `ingest: ${mode.padEnd(6)} ${(run.bytes / 1e6 / run.seconds).toFixed(0)} MB/s, peak RSS ${(run.peakRssBytes / 1e6).toFixed(0)} MB (${(run.baselineRssBytes / 1e6).toFixed(0)} MB before the copy); CPU s/GB: copy ${perGb(run, run.cpuSeconds)}, Azurite ${perGb(run, run.azuriteCpuSeconds)}, simulator ${perGb(run, run.simulatorCpuSeconds)}`,
        );
        runs.push(run);
      }
    }
    const best = (mode: Run["mode"]) => runs.filter((r) => r.mode === mode).sort((a, b) => a.seconds - b.seconds)[0]!;
    const mbps = (r: Run) => r.bytes / 1e6 / r.seconds;
    const raw = best("raw");
    const ingest = best("ingest");
    const roundRatios = runs.flatMap((r, i) =>
      r.mode === "ingest" && runs[i - 1]?.mode === "raw" ? [Number((mbps(r) / mbps(runs[i - 1]!)).toFixed(3))] : [],
    );
    const ingestPeakRssMB = Math.round(
      Math.max(...runs.filter((r) => r.mode === "ingest").map((r) => r.peakRssBytes)) / 1e6,
    );
    const figures = {
      chunkBytes: chunk.sizeBytes,
      worker: `${PRODUCTION_COMMANDS.worker.join(" ")} (npm run build)`,
      processEnv: PRODUCTION_PROCESS_ENV,
      blockBytes: config.INGEST_BLOCK_BYTES,
      blockConcurrency: config.INGEST_BLOCK_CONCURRENCY,
      rawMBps: Math.round(mbps(raw)),
      ingestMBps: Math.round(mbps(ingest)),
      throughputRatio: Number((mbps(ingest) / mbps(raw)).toFixed(3)),
      roundRatios,
      medianRoundRatio: Number(median(roundRatios).toFixed(3)),
      rawPeakRssMB: Math.round(raw.peakRssBytes / 1e6),
      ingestPeakRssMB,
      targets: { medianRoundRatio: 0.9, ingestPeakRssMB: 200 },
      runs,
    };
    // The figure is the median of the rounds' ratios (each ingest against the raw copy just before it).
    const met = figures.medianRoundRatio >= 0.9 && ingestPeakRssMB <= 200;
    context.say(
      `ingest: median of ${roundRatios.length} rounds ${figures.medianRoundRatio} of the raw copy (round by round ${roundRatios.join(", ")}; best of each: ${figures.ingestMBps} MB/s vs raw uploadStream ${figures.rawMBps} MB/s = ${figures.throughputRatio}); worker peak RSS ${ingestPeakRssMB} MB (raw copy ${figures.rawPeakRssMB} MB); targets ≥ 0.9 and ≤ 200 MB: ${met ? "met" : "NOT met"}`,
    );
    context.say(`ingest: written ${await writeResult("ingest", { ...figures, meetsTargets: met })}`);
  } finally {
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
