/**
 * The scale scenario (issue 8), shared by `npm run bench -- scale` and its reduced CI test: two webhook and two
 * worker processes against one Redis, calls placed through the simulator at a steady rate, Event Grid deliveries
 * and ACS callbacks spread over both webhooks; optionally one webhook and one worker SIGKILLed mid-run. Then,
 * from the outside (simulator request log, Azurite, the ledger): was every required call connected once,
 * recorded once and archived once — and what did it cost (time to record, Redis memory, CPU per process).
 */
import { latencies as latencySummary, type Latencies } from "./latency.js";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { Queue } from "bullmq";
import { startSimulator, type RunningSimulator } from "../simulator/index.js";
import { safeSegment } from "../src/archive/index.js";
import { createLedger, type LedgerEntry } from "../src/ledger/index.js";
import { QueueName, queueKeyPrefix } from "../src/queues/index.js";
import { createRedisClient, dataNodes, type RedisClient } from "../src/redis/index.js";
import { ALICE, BOB, LOCAL_RESOURCE_ID, localAppEnv } from "../scripts/local-stack/app-env.js";
import {
  cpuSecondsOf,
  startAppProcess,
  startWorkerProcess,
  type AppProcess,
} from "../scripts/local-stack/processes.js";
import { deleteKeysMatching, freePort, startAzurite, type RunningAzurite } from "../scripts/local-stack/services.js";
import { startSpread, type Spread, type SpreadStats } from "../scripts/local-stack/spread.js";

/** The simulator's resource: the shipped policies' identities live under it. */
const STRANGER_1 = `8:acs:${LOCAL_RESOURCE_ID}_00000099-stranger`;
const STRANGER_2 = `8:acs:${LOCAL_RESOURCE_ID}_00000098-other`;

export interface ScaleOptions {
  calls: number;
  /** Calls are placed evenly over this long. */
  spreadMs: number;
  /** From CallStarted to CallEnded. */
  callDurationMs: number;
  /** Audio per recording, whatever the call's length: keeps chunks small (unmixed WAV: 64 kB per second). */
  recordingDurationMs: number;
  /** Every n-th call is between two people in no team (must never be connected); 0 for none. */
  notRequiredEvery: number;
  /** Calls placed one at a time before the load, each waiting for its recording: the time-to-record baseline. */
  baselineCalls: number;
  /** SIGKILL the second webhook and the second worker this long after the first call is placed. */
  killAtMs?: number;
  redisUrl: string;
  /** The redis-server processes' pids, when this run owns them: their CPU is reported too. */
  redisPids?: number[];
  /** WORKER_LOCK_MS of the workers: how soon a killed worker's jobs run elsewhere. */
  workerLockMs: number;
  workerConcurrency: number;
  /** Event Grid deliveries (and callbacks) in flight at once: Event Grid delivers concurrently, not one by one. */
  deliveryConcurrency: number;
  /** After the last call ends, how long every call may take to be settled in the ledger. */
  settleTimeoutMs: number;
  /** Where the processes' logs go (kept when the caller keeps the directory). */
  logDir?: string;
  say?: (line: string) => void;
}

export interface CallCheck {
  serverCallId: string;
  required: boolean;
  connects: number;
  starts: number;
  recordings: number;
  chunks: number;
  /** Chunks archived with the simulator's SHA-256, counted once per archived blob. */
  archivedChunks: number;
  manifest: boolean;
  ledger: string | undefined;
  contentDownloads: number;
  /** The call's requests at ACS (ms after the run's start, operation, status): kept for problem calls only. */
  timeline?: string[];
}

export interface ProcessCpu {
  name: string;
  pid: number;
  cpuSeconds: number;
  wallSeconds: number;
  /** Average share of one core while it ran. */
  percentOfCore: number;
}

export interface ScaleReport {
  calls: number;
  required: number;
  spreadMs: number;
  callDurationMs: number;
  recordingDurationMs: number;
  killedAtMs: number | undefined;
  /** Calls placed before and after the kill (both non-zero: the processes died mid-run, not before or after it). */
  placedAroundKill: { before: number; after: number } | undefined;
  /** Required calls connected once, recorded once, every chunk archived once with its hash, manifest, ledger `recorded`. */
  recordedExactlyOnce: number;
  /** Calls in no team: never connected, ledger `not-required`. */
  notRequiredUntouched: number;
  /** Every call that is not as it should be, with what was seen. */
  problems: CallCheck[];
  /** Content downloads beyond one per chunk (a killed worker's ingest resumed elsewhere downloads again). */
  extraDownloads: number;
  timeToRecord: Latencies;
  /** The same measure for the baseline calls, placed one at a time before the load. */
  baselineTimeToRecord: Latencies;
  /** Completed jobs by kind: time waiting in the queue (queued or due → taken) and running, in ms. */
  jobs: Record<string, { count: number; waitP50: number; waitP99: number; runP50: number; runP99: number }>;
  /** From the last call's end until every call was settled in the ledger (or the timeout). */
  settleMs: number;
  delivery: SpreadStats;
  redis: {
    usedMemoryBeforeBytes: number;
    usedMemoryAfterBytes: number;
    /** (used_memory after − before) / calls: everything a call leaves for the retention periods. */
    usedMemoryPerCallBytes: number;
    /** MEMORY USAGE of this run's keys by kind, per call. */
    perCallBytesByKind: Record<string, number>;
  };
  cpu: ProcessCpu[];
}

/** How many calls were placed before and after the kill (the baseline calls, placed at 0, count for neither). */
function aroundKill(placed: Placed[], t0: number, killedAtMs: number | undefined): ScaleReport["placedAroundKill"] {
  if (killedAtMs === undefined) return undefined;
  const loaded = placed.filter((c) => c.placedAt !== 0);
  return {
    before: loaded.filter((c) => c.placedAt - t0 < killedAtMs).length,
    after: loaded.filter((c) => c.placedAt - t0 >= killedAtMs).length,
  };
}

interface Placed {
  serverCallId: string;
  required: boolean;
  placedAt: number;
}

interface Watched {
  name: string;
  pid: number;
  start: number;
  end?: { cpu: number; at: number };
}

export async function runScaleScenario(options: ScaleOptions): Promise<ScaleReport> {
  const say = options.say ?? (() => undefined);
  const prefix = `scale-${randomBytes(4).toString("hex")}`;
  const dataDir = await mkdtemp(join(tmpdir(), "scale-"));
  const logDir = options.logDir ?? dataDir;
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dataDir, { recursive: true, force: true })];
  const redis = createRedisClient(options.redisUrl, { maxRetriesPerRequest: null });
  cleanups.push(async () => redis.disconnect());
  cleanups.push(() => deleteKeysMatching(redis, `${prefix}:*`));
  try {
    const azurite: RunningAzurite = await startAzurite(dataDir);
    cleanups.push(() => azurite.stop());
    const sim = await startSimulator({
      accessKey: randomBytes(32).toString("base64"),
      resourceId: LOCAL_RESOURCE_ID,
      timings: { ringMs: 100, connectMs: 30, recordingActivationMs: 100, fileStatusDelayMs: 300 },
      deliveryConcurrency: options.deliveryConcurrency,
    });
    cleanups.push(() => sim.stop());

    const webhookPorts = [await freePort(), await freePort()];
    const spread: Spread = await startSpread(webhookPorts.map((port) => `http://127.0.0.1:${port}`));
    cleanups.push(() => spread.close());
    const secret = randomUUID();
    const env = (port: number) =>
      localAppEnv(
        {
          simulator: sim,
          resourceId: LOCAL_RESOURCE_ID,
          redisUrl: options.redisUrl,
          redisPrefix: prefix,
          blobConnectionString: azurite.connectionString,
          eventGridSecret: secret,
        },
        // Callbacks come back through the spread too, as through a load balancer in front of the replicas.
        { port, publicBaseUrl: spread.url },
        { WORKER_CONCURRENCY: String(options.workerConcurrency), WORKER_LOCK_MS: String(options.workerLockMs) },
      );
    const processes: AppProcess[] = [];
    cleanups.push(() => Promise.all(processes.map((p) => p.stop())));
    const started = await Promise.all([
      startAppProcess(`${prefix}-webhook-1`, "src/main.ts", env(webhookPorts[0]!), { port: webhookPorts[0]! }, logDir),
      startAppProcess(`${prefix}-webhook-2`, "src/main.ts", env(webhookPorts[1]!), { port: webhookPorts[1]! }, logDir),
      startWorkerProcess(`${prefix}-worker-1`, env(0), logDir),
      startWorkerProcess(`${prefix}-worker-2`, env(0), logDir),
    ]);
    processes.push(...started);
    const [webhook1, webhook2, worker1, worker2] = started as [AppProcess, AppProcess, AppProcess, AppProcess];
    await sim.setEventGridSubscription(`${spread.url}/api/eventgrid?code=${secret}`);
    const ledger = createLedger(redis, prefix);

    // Baseline: calls one at a time, each waiting for its recording to start; then for them to be archived, so
    // that the measured window holds the load only.
    const baseline: string[] = [];
    for (let i = 0; i < options.baselineCalls; i++) {
      const { serverCallId } = await sim.placeCall({
        from: ALICE,
        to: BOB,
        durationMs: 1000,
        recordingDurationMs: options.recordingDurationMs,
      });
      baseline.push(serverCallId);
      await until(
        () => sim.requests().some((r) => r.operation === "startRecording" && r.serverCallId === serverCallId),
        20_000,
        "a baseline call's recording to start",
      );
    }
    await until(
      async () => (await Promise.all(baseline.map((id) => ledger.get(id)))).every((e) => e?.outcome === "recorded"),
      30_000,
      "the baseline calls to be archived",
    );

    const usedMemoryBeforeBytes = await usedMemory(redis);
    const watched: Watched[] = [];
    const watch = async (name: string, pid: number | undefined) => {
      if (pid !== undefined) watched.push({ name, pid, start: await cpuSecondsOf(pid) });
    };
    const t0 = Date.now();
    await watch("webhook-1", webhook1.child.pid);
    await watch("webhook-2", webhook2.child.pid);
    await watch("worker-1", worker1.child.pid);
    await watch("worker-2", worker2.child.pid);
    for (const [i, pid] of (options.redisPids ?? []).entries()) {
      await watch(options.redisPids!.length > 1 ? `redis-server ${i + 1}` : "redis-server", pid);
    }
    await watch("azurite", azurite.process.pid);
    const driverCpuStart = process.cpuUsage();

    say(
      `  ${options.calls} calls over ${options.spreadMs / 1000} s, ${options.callDurationMs / 1000} s each; 2 webhooks, 2 workers${options.killAtMs !== undefined ? `; SIGKILL of webhook-2 and worker-2 at ${options.killAtMs / 1000} s` : ""}`,
    );
    const placed: Placed[] = baseline.map((serverCallId) => ({ serverCallId, required: true, placedAt: 0 }));
    let killedAtMs: number | undefined;
    const kill = async () => {
      killedAtMs = Date.now() - t0;
      for (const victim of [webhook2, worker2]) {
        const entry = watched.find((w) => w.pid === victim.child.pid);
        if (entry) entry.end = { cpu: await cpuSecondsOf(entry.pid), at: Date.now() };
        victim.child.kill("SIGKILL");
      }
      say(`  killed webhook-2 and worker-2 (SIGKILL) at ${(killedAtMs / 1000).toFixed(1)} s`);
    };
    for (let i = 0; i < options.calls; i++) {
      const due = t0 + (i * options.spreadMs) / options.calls;
      if (options.killAtMs !== undefined && killedAtMs === undefined && due - t0 >= options.killAtMs) {
        const untilKill = t0 + options.killAtMs - Date.now();
        if (untilKill > 0) await new Promise((r) => setTimeout(r, untilKill));
        await kill();
      }
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const required = !(options.notRequiredEvery > 0 && i % options.notRequiredEvery === options.notRequiredEvery - 1);
      const { serverCallId } = await sim.placeCall({
        from: required ? ALICE : STRANGER_1,
        to: required ? BOB : STRANGER_2,
        durationMs: options.callDurationMs,
        recordingDurationMs: options.recordingDurationMs,
      });
      placed.push({ serverCallId, required, placedAt: Date.now() });
    }
    if (options.killAtMs !== undefined && killedAtMs === undefined) await kill();

    // Settled: every call ended, and its ledger entry final (recorded / not-required), or the timeout.
    const lastEnd = Date.now() + options.callDurationMs;
    const settleDeadline = lastEnd + options.settleTimeoutMs;
    const entries = new Map<string, LedgerEntry | undefined>();
    for (;;) {
      const open = placed.filter(({ serverCallId, required }) => {
        const outcome = entries.get(serverCallId)?.outcome;
        return required ? outcome !== "recorded" : outcome !== "not-required";
      });
      await Promise.all(
        open.map(async ({ serverCallId }) => entries.set(serverCallId, await ledger.get(serverCallId))),
      );
      const stillOpen = open.filter(({ serverCallId, required }) => {
        const outcome = entries.get(serverCallId)?.outcome;
        return required ? outcome !== "recorded" : outcome !== "not-required";
      });
      if (stillOpen.length === 0 || Date.now() > settleDeadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const settledAt = Date.now();
    const settleMs = Math.max(0, settledAt - lastEnd);
    const driverCpu = process.cpuUsage(driverCpuStart);
    for (const entry of watched) {
      if (!entry.end) entry.end = { cpu: await cpuSecondsOf(entry.pid).catch(() => entry.start), at: settledAt };
    }
    const cpu: ProcessCpu[] = watched.map((w) => {
      const wallSeconds = (w.end!.at - t0) / 1000;
      const cpuSeconds = w.end!.cpu - w.start;
      return { name: w.name, pid: w.pid, cpuSeconds, wallSeconds, percentOfCore: (100 * cpuSeconds) / wallSeconds };
    });
    const driverSeconds = (driverCpu.user + driverCpu.system) / 1e6;
    const driverWall = (settledAt - t0) / 1000;
    cpu.push({
      name: "driver (simulator, spread, checks)",
      pid: process.pid,
      cpuSeconds: driverSeconds,
      wallSeconds: driverWall,
      percentOfCore: (100 * driverSeconds) / driverWall,
    });

    const usedMemoryAfterBytes = await usedMemory(redis);
    const byKind = await memoryByKind(redis, prefix);
    const perCallBytesByKind = Object.fromEntries(
      Object.entries(byKind).map(([kind, bytes]) => [kind, Math.round(bytes / placed.length)]),
    );

    const good = (c: CallCheck) =>
      c.required
        ? c.connects === 1 &&
          c.starts === 1 &&
          c.recordings === 1 &&
          c.chunks > 0 &&
          c.archivedChunks === c.chunks &&
          c.manifest &&
          c.ledger === "recorded"
        : c.connects === 0 && c.starts === 0 && c.ledger === "not-required";
    const checks = await checkCalls(sim, azurite, placed, entries, t0);
    for (const check of checks) if (good(check)) delete check.timeline;
    const loaded = placed.filter((c) => c.required && !baseline.includes(c.serverCallId)).map((c) => c.serverCallId);
    const latencies = await timeToRecord(redis, prefix, sim, [...baseline, ...loaded]);
    return {
      calls: placed.length,
      required: placed.filter((c) => c.required).length,
      spreadMs: options.spreadMs,
      callDurationMs: options.callDurationMs,
      recordingDurationMs: options.recordingDurationMs,
      killedAtMs,
      placedAroundKill: aroundKill(placed, t0, killedAtMs),
      recordedExactlyOnce: checks.filter((c) => c.required && good(c)).length,
      notRequiredUntouched: checks.filter((c) => !c.required && good(c)).length,
      problems: checks.filter((c) => !good(c)),
      extraDownloads: checks.reduce((sum, c) => sum + Math.max(0, c.contentDownloads - c.chunks), 0),
      jobs: await jobTimings(redis, prefix),
      timeToRecord: latencySummary(loaded.flatMap((id) => latencies.get(id) ?? [])),
      baselineTimeToRecord: latencySummary(baseline.flatMap((id) => latencies.get(id) ?? [])),
      settleMs,
      delivery: spread.stats(),
      redis: {
        usedMemoryBeforeBytes,
        usedMemoryAfterBytes,
        usedMemoryPerCallBytes: Math.round((usedMemoryAfterBytes - usedMemoryBeforeBytes) / options.calls),
        perCallBytesByKind,
      },
      cpu,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** used_memory summed over the deployment's servers (INFO memory). */
async function usedMemory(redis: RedisClient): Promise<number> {
  let total = 0;
  for (const node of await dataNodes(redis)) {
    const info = await node.info("memory");
    total += Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  }
  return total;
}

/** The kind of state a key holds, from its name (see docs/redis.md "Deployments: one server, Sentinel, Cluster"). */
function kindOf(key: string, prefix: string): string {
  const rest = key.slice(prefix.length + 1);
  if (rest.startsWith("call:")) return "sessions";
  if (rest.startsWith("ledger:")) return "ledger";
  if (rest.startsWith("{intake}:seen:")) return "intake de-duplication ids";
  if (rest.startsWith("{intake}:")) return "intake outbox";
  if (rest.startsWith("bull:")) return "queues (jobs kept after completion)";
  return "other";
}

/** MEMORY USAGE of every key of the run, summed by kind. */
async function memoryByKind(redis: RedisClient, prefix: string): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const node of await dataNodes(redis)) {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length === 0) continue;
      const pipeline = node.pipeline();
      // SAMPLES 0: every element counted (the default samples 5 and extrapolates, far off for mixed hashes).
      for (const key of keys) pipeline.memory("USAGE", key, "SAMPLES", 0);
      const results = (await pipeline.exec()) ?? [];
      keys.forEach((key, i) => {
        const bytes = Number(results[i]?.[1] ?? 0);
        const kind = kindOf(key, prefix);
        totals[kind] = (totals[kind] ?? 0) + bytes;
      });
    } while (cursor !== "0");
  }
  return totals;
}

/** What the simulator saw of each call, what Azurite holds of it, and its ledger entry. */
async function checkCalls(
  sim: RunningSimulator,
  azurite: RunningAzurite,
  placed: Placed[],
  entries: Map<string, LedgerEntry | undefined>,
  t0: number,
): Promise<CallCheck[]> {
  const requests = sim.requests();
  const count = (serverCallId: string, test: (r: (typeof requests)[number]) => boolean) =>
    requests.filter((r) => r.serverCallId === serverCallId && test(r)).length;
  const container: ContainerClient = BlobServiceClient.fromConnectionString(
    azurite.connectionString,
  ).getContainerClient("recordings");
  // Archived blobs by call folder (`<team>/<yyyy>/<mm>/<dd>/<serverCallId>/…`).
  const blobsByCall = new Map<string, { name: string; sha256: string | undefined }[]>();
  if (await container.exists()) {
    for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
      const segment = blob.name.split("/")[4] ?? "";
      const list = blobsByCall.get(segment) ?? [];
      list.push({ name: blob.name, sha256: blob.metadata?.sha256 });
      blobsByCall.set(segment, list);
    }
  }
  return placed.map(({ serverCallId, required, placedAt }) => {
    const call = sim.getCall(serverCallId);
    const chunks = call?.recordings.flatMap((r) => r.chunks) ?? [];
    const blobs = blobsByCall.get(safeSegment(serverCallId)) ?? [];
    // Each chunk: exactly one content blob, verified (its `sha256` set) with the hash ACS served.
    const archivedChunks = chunks.filter((chunk) => {
      const name = new RegExp(`/chunk-${String(chunk.index).padStart(4, "0")}\\.(wav|mp3|mp4)$`);
      const copies = blobs.filter((b) => name.test(b.name));
      return copies.length === 1 && copies[0]!.sha256 === chunk.sha256;
    }).length;
    return {
      serverCallId,
      required,
      connects: count(serverCallId, (r) => r.operation === "connect" && r.status === 200),
      starts: count(serverCallId, (r) => r.operation === "startRecording" && r.status < 300),
      recordings: call?.recordings.length ?? 0,
      chunks: chunks.length,
      archivedChunks,
      manifest: blobs.some((b) => b.name.endsWith("/manifest.json")),
      ledger: entries.get(serverCallId)?.outcome,
      contentDownloads: count(serverCallId, (r) => r.operation === "download" && !r.path.endsWith("/acsmetadata")),
      timeline: [
        `${placedAt - t0} placed`,
        ...requests
          .filter((r) => r.serverCallId === serverCallId)
          .map((r) => `${Date.parse(r.at) - t0} ${r.operation} ${r.status}`),
      ],
    };
  });
}

/**
 * CallStarted at the app (the `receivedAt` the webhook stored with it, in the call-event job) → the first accepted
 * start-recording request at the simulator; both on this machine's clock.
 */
async function timeToRecord(
  redis: RedisClient,
  prefix: string,
  sim: RunningSimulator,
  calls: string[],
): Promise<Map<string, number>> {
  const queue = new Queue(QueueName.callEvents, {
    connection: redis,
    prefix: queueKeyPrefix(prefix, QueueName.callEvents),
  });
  const arrivals = new Map<string, number>();
  try {
    for (let start = 0; ; start += 1000) {
      const jobs = await queue.getJobs(["completed"], start, start + 999);
      for (const job of jobs) {
        const data = job.data as { event: { type: string; data: { serverCallId?: string } }; receivedAt: string };
        const id = data.event.data.serverCallId;
        if (data.event.type === "Microsoft.Communication.CallStarted" && id) {
          arrivals.set(id, Date.parse(data.receivedAt));
        }
      }
      if (jobs.length < 1000) break;
    }
  } finally {
    await queue.close();
  }
  const starts = new Map<string, number>();
  for (const request of sim.requests()) {
    if (request.operation === "startRecording" && request.status < 300 && request.serverCallId) {
      if (!starts.has(request.serverCallId)) starts.set(request.serverCallId, Date.parse(request.at));
    }
  }
  const latencies = new Map<string, number>();
  for (const id of calls) {
    const from = arrivals.get(id);
    const to = starts.get(id);
    if (from !== undefined && to !== undefined) latencies.set(id, to - from);
  }
  return latencies;
}

/** Queue wait and run time of every completed job of the run, by job kind. */
async function jobTimings(redis: RedisClient, prefix: string): Promise<ScaleReport["jobs"]> {
  const samples = new Map<string, { wait: number[]; run: number[] }>();
  for (const name of Object.values(QueueName)) {
    const queue = new Queue(name, { connection: redis, prefix: queueKeyPrefix(prefix, name) });
    try {
      for (let start = 0; ; start += 1000) {
        const jobs = await queue.getJobs(["completed"], start, start + 999);
        for (const job of jobs) {
          if (!job.processedOn || !job.finishedOn) continue;
          const entry = samples.get(job.name) ?? { wait: [], run: [] };
          samples.set(job.name, entry);
          // A delayed job waits from when it was due, not from when it was queued.
          entry.wait.push(job.processedOn - (job.timestamp + (job.opts.delay ?? 0)));
          entry.run.push(job.finishedOn - job.processedOn);
        }
        if (jobs.length < 1000) break;
      }
    } finally {
      await queue.close();
    }
  }
  return Object.fromEntries(
    [...samples].map(([name, { wait, run }]) => {
      const w = latencySummary(wait);
      const r = latencySummary(run);
      return [name, { count: w.count, waitP50: w.p50Ms, waitP99: w.p99Ms, runP50: r.p50Ms, runP99: r.p99Ms }];
    }),
  );
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
