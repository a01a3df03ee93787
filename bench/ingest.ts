/**
 * `npm run bench -- ingest`: MB/s and peak RSS of ingesting a 1 GiB recording chunk from the simulator into
 * Azurite, against a raw `uploadStream` of the same bytes from the same source, in the same run. Each copy
 * runs in its own process (bench/ingest-runner.ts) against an Azurite of its own; the two alternate, twice each
 * (BENCH_INGEST_ROUNDS), and the better of each is compared. Each run also reports
 * the CPU seconds spent by the copy, by Azurite and by this process (the simulator): on a shared machine
 * MB/s follows the load, CPU per GB much less.
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { z } from "zod";
import { azuriteConnectionString, startAzurite, type RunningAzurite } from "../scripts/lib/services.js";
import { startSimulator } from "../simulator/index.js";
import { createCallAutomationClient } from "../src/acs/index.js";
import { loadConfig } from "../src/config/index.js";
import { writeResult, type BenchContext } from "./result.js";

const GIB = 1024 * 1024 * 1024;
const ALICE = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000001-alice";
const BOB = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000002-bob";
const runResult = z.object({
  mode: z.enum(["raw", "ingest"]),
  bytes: z.number(),
  seconds: z.number(),
  /** Empty for the raw copy (which does not hash). */
  sha256: z.string(),
  peakRssBytes: z.number(),
  baselineRssBytes: z.number(),
  cpuSeconds: z.number(),
});
type RunResult = z.infer<typeof runResult> & { azuriteCpuSeconds?: number; simulatorCpuSeconds: number };

/** CPU seconds (user + system) a process has used so far, from /proc (Linux, 100 ticks/s); undefined elsewhere. */
async function cpuSecondsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, "utf8")).split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

function runOnce(input: {
  mode: "raw" | "ingest";
  blobName: string;
  contentLocation: string;
  env: Record<string, string>;
}) {
  return new Promise<z.infer<typeof runResult>>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/ingest-runner.ts"], {
      env: { ...process.env, BENCH_INPUT: JSON.stringify(input) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (data: Buffer) => (out += data.toString()));
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${input.mode} run exited with ${code}`));
      try {
        resolve(runResult.parse(JSON.parse(out.trim().split("\n").at(-1) ?? "")));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/**
 * Runs one copy against an Azurite of its own, started empty and stopped after. One Azurite serving copy after
 * copy drifts into spending more of its CPU collecting garbage (in a --cpu-prof of Azurite: 7 % of its CPU over
 * its first four 1 GB copies, 26 % over the next three, at twice the CPU per GB), so a run's speed would depend
 * on how many copies came before it, and the raw copy always comes first in a round.
 */
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

export async function runIngestBench(context: BenchContext): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "recorder-bench-ingest-"));
  const accessKey = randomBytes(32).toString("base64");
  const resourceId = randomUUID();
  const sim = await startSimulator({
    accessKey,
    resourceId,
    timings: { ringMs: 20, connectMs: 10, recordingActivationMs: 20, fileStatusDelayMs: 20 },
  });
  try {
    const env = {
      NODE_ENV: "test",
      PUBLIC_BASE_URL: "http://127.0.0.1:1",
      ACS_CONNECTION_STRING: sim.connectionString,
      ACS_RESOURCE_ID: resourceId,
      ACS_LOCAL_SIMULATOR_URL: sim.url,
      REDIS_URL: context.redisUrl,
      // Each run's own Azurite (withFreshAzurite) replaces this; the simulator's client does not use it.
      BLOB_CONNECTION_STRING: azuriteConnectionString(1),
      BLOB_CONTAINER: "bench",
      EVENTGRID_SECRET: "unused",
      // INGEST_BLOCK_BYTES / INGEST_BLOCK_CONCURRENCY from the environment, else the worker defaults.
      ...(process.env.INGEST_BLOCK_BYTES ? { INGEST_BLOCK_BYTES: process.env.INGEST_BLOCK_BYTES } : {}),
      ...(process.env.INGEST_BLOCK_CONCURRENCY
        ? { INGEST_BLOCK_CONCURRENCY: process.env.INGEST_BLOCK_CONCURRENCY }
        : {}),
    };
    const config = loadConfig(env);

    // A mixed 16 kHz mono WAV (32 000 B/s): 1 GiB of audio, synthesized from the offset by the simulator.
    const { serverCallId } = await sim.placeCall({
      from: ALICE,
      to: BOB,
      durationMs: 60_000,
      recordingDurationMs: Math.ceil(GIB / 32),
      chunkMaxDurationMs: Math.ceil(GIB / 32) + 1000,
    });
    for (let i = 0; sim.getCall(serverCallId)?.state !== "established"; i++)
      await new Promise((r) => setTimeout(r, 20));
    const recording = createCallAutomationClient(config).getCallRecording();
    const { recordingId } = await recording.start({
      callLocator: { id: serverCallId, kind: "serverCallLocator" },
      recordingContent: "audio",
      recordingChannel: "mixed",
      recordingFormat: "wav",
    });
    while (sim.getCall(serverCallId)?.recordings[0]?.state !== "active") await new Promise((r) => setTimeout(r, 20));
    await recording.stop(recordingId);
    let chunk = sim.getCall(serverCallId)?.recordings[0]?.chunks[0];
    while (!chunk) {
      await new Promise((r) => setTimeout(r, 100));
      chunk = sim.getCall(serverCallId)?.recordings[0]?.chunks[0];
    }
    context.say(`ingest: chunk of ${(chunk.sizeBytes / 1e6).toFixed(0)} MB`);

    const rounds = Number(process.env.BENCH_INGEST_ROUNDS ?? 2);
    const runs: RunResult[] = [];
    const gb = (r: RunResult, seconds: number | undefined) =>
      seconds === undefined ? undefined : Number((seconds / (r.bytes / 1e9)).toFixed(2));
    for (let round = 0; round < rounds; round++) {
      for (const mode of ["raw", "ingest"] as const) {
        const blobName = `${mode}-${runs.length}.wav`;
        const result = await withFreshAzurite(dataDir, async (azurite): Promise<RunResult> => {
          const runEnv = { ...env, BLOB_CONNECTION_STRING: azurite.connectionString };
          const azuriteBefore = await cpuSecondsOf(azurite.process.pid);
          const simulatorBefore = process.cpuUsage();
          const measured = await runOnce({ mode, blobName, contentLocation: chunk.contentLocation, env: runEnv });
          const simulatorCpu = process.cpuUsage(simulatorBefore);
          const azuriteAfter = await cpuSecondsOf(azurite.process.pid);
          return {
            ...measured,
            azuriteCpuSeconds:
              azuriteBefore === undefined || azuriteAfter === undefined ? undefined : azuriteAfter - azuriteBefore,
            simulatorCpuSeconds: (simulatorCpu.user + simulatorCpu.system) / 1e6,
          };
        });
        if (result.bytes !== chunk.sizeBytes || (mode === "ingest" && result.sha256 !== chunk.sha256))
          throw new Error(`${mode}: copied ${result.bytes} bytes, or with another hash than the source`);
        context.say(
          `ingest: ${mode.padEnd(6)} ${(result.bytes / 1e6 / result.seconds).toFixed(0)} MB/s, peak RSS ${(result.peakRssBytes / 1e6).toFixed(0)} MB (${(result.baselineRssBytes / 1e6).toFixed(0)} MB before the copy); CPU s/GB: copy ${gb(result, result.cpuSeconds)}, Azurite ${gb(result, result.azuriteCpuSeconds) ?? "?"}, simulator ${gb(result, result.simulatorCpuSeconds)}`,
        );
        runs.push(result);
      }
    }
    const best = (mode: "raw" | "ingest") =>
      runs.filter((r) => r.mode === mode).sort((a, b) => a.seconds - b.seconds)[0]!;
    const raw = best("raw");
    const ingest = best("ingest");
    const mbps = (r: RunResult) => r.bytes / 1e6 / r.seconds;
    // Each ingest against the raw copy just before it: how much the spread of the best-of figure owes to load.
    const roundRatios = runs.flatMap((r, i) =>
      r.mode === "ingest" && runs[i - 1]?.mode === "raw" ? [Number((mbps(r) / mbps(runs[i - 1]!)).toFixed(3))] : [],
    );
    const figures = {
      chunkBytes: chunk.sizeBytes,
      blockBytes: config.INGEST_BLOCK_BYTES,
      blockConcurrency: config.INGEST_BLOCK_CONCURRENCY,
      rawMBps: Math.round(mbps(raw)),
      ingestMBps: Math.round(mbps(ingest)),
      throughputRatio: Number((mbps(ingest) / mbps(raw)).toFixed(3)),
      roundRatios,
      medianRoundRatio: Number(median(roundRatios).toFixed(3)),
      rawPeakRssMB: Math.round(raw.peakRssBytes / 1e6),
      ingestPeakRssMB: Math.round(
        Math.max(...runs.filter((r) => r.mode === "ingest").map((r) => r.peakRssBytes)) / 1e6,
      ),
      targets: { throughputRatio: 0.9, ingestPeakRssMB: 200 },
      runs,
    };
    context.say(
      `ingest: ${figures.ingestMBps} MB/s vs raw uploadStream ${figures.rawMBps} MB/s = ${figures.throughputRatio} (round by round ${roundRatios.join(", ")}); peak RSS ${figures.ingestPeakRssMB} MB (raw ${figures.rawPeakRssMB} MB)`,
    );
    context.say(`ingest: written ${await writeResult("ingest", figures)}`);
  } finally {
    await sim.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
