/**
 * `npm run bench -- intake`: throughput and latency of POST /api/eventgrid (auth + validation + dedupe +
 * persistence in Redis) against a bare Koa JSON endpoint, all measured in this run with autocannon,
 * 50 connections, ~2 KB Event Grid events with a unique id per request.
 *
 * Two baselines: the bare Koa JSON endpoint as usually written (Koa + @koa/bodyparser: the target's
 * reference), and a leaner one that reads the body by hand as intake does. Servers run in turn, for several
 * rounds (BENCH_ROUNDS, default 3), so that a burst of load elsewhere on the machine hits all of them; each
 * figure is the median of its rounds. Every server runs compiled (esbuild, as production runs; BENCH_TSX=1: all
 * under tsx instead). Req/s on a shared machine is noisy: bench/intake-cost.ts measures CPU per request instead.
 *
 * Then the durable acknowledgement modes (INTAKE_DURABILITY, docs/redis.md) against `memory`, each on private
 * redis-servers started here and measured in turn in the same rounds: memory (no persistence), aof with
 * appendfsync everysec, aof with appendfsync always (fsync before every reply), replicas:1 (a primary and a
 * replica on this machine; WAIT 1 after every write). Ratios are of the medians (BENCH_DURABILITY=0 skips).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import autocannon from "autocannon";
import { Redis } from "ioredis";
import { outboxKeys } from "../src/intake/index.js";
import { QA_PAGE_FILES } from "../src/qa-web/index.js";
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { projectRoot } from "../scripts/local-stack/processes.js";
import { deleteKeysMatching, startPrivateRedis, type PrivateRedis } from "../scripts/local-stack/services.js";
import { compileBenchScript } from "./compile.js";
import { writeResult, type BenchContext } from "./result.js";

export const CONNECTIONS = 50;
/** Issue 21 ("Control never waits behind ingest", its Intake point): ≥ 0.70 of bare Koa JSON; p99 as before. */
const TARGET_RATIO = 0.7;

/** A CallStarted in the Event Grid schema, padded to ~2 KB, with a fresh id for every request. */
export function eventBody(id: string): string {
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

export type ServerKind = "bare" | "bare-minimal" | "intake" | "intake-without-redis";

let compiled: Promise<string> | undefined;

/**
 * bench/intake-server.ts compiled to plain JavaScript once per run (esbuild, the compiler tsx itself uses;
 * packages stay external), so that every server runs as production runs it (docs/operations.md "Deployment"),
 * without tsx's loader. BENCH_TSX=1 runs them under `--import tsx` instead (all of them alike).
 */
function compiledServer(): Promise<string> {
  compiled ??= (async () => {
    const outfile = await compileBenchScript("intake-server");
    // The QA page's static files, beside the code that serves them (as scripts/build.ts copies them into dist/).
    const page = join(projectRoot, "data", "bench", "page");
    await mkdir(page, { recursive: true });
    for (const file of QA_PAGE_FILES)
      await copyFile(join(projectRoot, "src", "qa-web", "page", file), join(page, file));
    return outfile;
  })();
  return compiled;
}

export async function startServer(
  kind: ServerKind,
  args: readonly string[],
  /** Node's own flags for the server (--cpu-prof, --perf-basic-prof, …: bench/intake-cost.ts). */
  nodeFlags: readonly string[] = [],
) {
  const script =
    process.env.BENCH_TSX === "1" ? ["--import", "tsx", "bench/intake-server.ts"] : [await compiledServer()];
  const child = spawn(process.execPath, [...nodeFlags, ...script, kind, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return { port, pid: child.pid!, stop: () => (child.kill("SIGTERM"), once(child, "exit")) };
}

/** Every request of the whole run carries a new event id, so none is a duplicate. */
let sequence = 0;
/** Requests answered 2xx by the intake server, warm-ups included: each must be one event in the outbox. */
let intakeAccepted = 0;

async function load(url: string, seconds: number) {
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

type Measured = Awaited<ReturnType<typeof load>>;

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;

function summarise(rounds: Measured[]) {
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    rounds,
  };
}

export async function runIntakeBench(context: BenchContext): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 8);
  const roundCount = Number(process.env.BENCH_ROUNDS ?? 3);
  const prefix = `bench-${randomBytes(4).toString("hex")}`;
  const secret = randomBytes(16).toString("hex");
  const eventBytes = Buffer.byteLength(eventBody("bench-0000000-0000000"));
  context.say(
    `intake: ${CONNECTIONS} connections, ~${eventBytes} byte events, ${roundCount} rounds of ${seconds}s per server`,
  );

  const servers: { kind: ServerKind; args: string[]; path: string; label: string }[] = [
    { kind: "bare", args: [], path: "/", label: "bare Koa JSON (Koa + @koa/bodyparser)" },
    { kind: "bare-minimal", args: [], path: "/", label: "bare Koa, body read by hand" },
    {
      kind: "intake",
      args: [context.redisUrl, prefix, secret],
      path: `/api/eventgrid?code=${secret}`,
      label: "/api/eventgrid",
    },
  ];
  const rounds = new Map<ServerKind, Measured[]>(servers.map(({ kind }) => [kind, []]));
  for (let round = 1; round <= roundCount; round++) {
    for (const { kind, args, path, label } of servers) {
      const server = await startServer(kind, args);
      const url = `http://127.0.0.1:${server.port}${path}`;
      const warmUp = await load(url, 2);
      const measured = await load(url, seconds);
      if (kind === "intake") intakeAccepted += warmUp.ok + measured.ok;
      await server.stop();
      rounds.get(kind)!.push(measured);
      context.say(
        `  round ${round} ${label.padEnd(40)} ${measured.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms`,
      );
    }
  }

  // Every accepted event is in the outbox (no relay runs here): check the count, then delete what this run created.
  const redis = new Redis(context.redisUrl);
  const seen = await redis.xlen(outboxKeys(prefix).stream);
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();
  // Requests still in flight when a load stops may be stored without their answer being counted.
  const inFlightAtStops = CONNECTIONS * 2 * roundCount;
  if (seen < intakeAccepted || seen > intakeAccepted + inFlightAtStops)
    throw new Error(`${intakeAccepted} events accepted but ${seen} stored in the outbox`);

  const baseline = summarise(rounds.get("bare")!);
  const minimal = summarise(rounds.get("bare-minimal")!);
  const measured = summarise(rounds.get("intake")!);
  const ratio = measured.requestsPerSecond / baseline.requestsPerSecond;
  const ratioToMinimal = measured.requestsPerSecond / minimal.requestsPerSecond;
  context.say(
    `  medians: bare ${baseline.requestsPerSecond.toFixed(0)} req/s (p99 ${baseline.p99Ms} ms), ` +
      `hand-read ${minimal.requestsPerSecond.toFixed(0)} req/s, /api/eventgrid ${measured.requestsPerSecond.toFixed(0)} req/s ` +
      `(p50 ${measured.p50Ms} ms, p99 ${measured.p99Ms} ms)`,
  );
  context.say(
    `  throughput ratio ${(ratio * 100).toFixed(1)}% of bare Koa JSON (target ≥ ${TARGET_RATIO * 100}%); ` +
      `${(ratioToMinimal * 100).toFixed(1)}% of the hand-read baseline; p99 ${measured.p99Ms} ms (target ≤ 25 ms)`,
  );
  context.say(`  events stored in the outbox: ${seen}, one per accepted request`);
  const durability =
    process.env.BENCH_DURABILITY === "0" ? undefined : await measureDurability(context, seconds, roundCount);
  await writeResult("intake", {
    connections: CONNECTIONS,
    eventBytes,
    seconds,
    rounds: roundCount,
    baseline,
    minimalBaseline: minimal,
    intake: measured,
    throughputRatio: ratio,
    throughputRatioToMinimal: ratioToMinimal,
    eventsStored: seen,
    targets: { throughputRatio: TARGET_RATIO, p99Ms: 25 },
    ...(durability ? { durability } : {}),
    meetsTargets: ratio >= TARGET_RATIO && measured.p99Ms <= 25,
  });
}

interface DurabilityMode {
  label: string;
  /** INTAKE_DURABILITY as the intake server takes it. */
  durability: string;
  /** redis-server arguments of the primary (its own directory is added). */
  args: string[];
  withReplica?: boolean;
}

const DURABILITY_MODES: DurabilityMode[] = [
  { label: "memory", durability: "memory", args: [] },
  { label: "aof everysec", durability: "aof", args: ["--appendonly", "yes", "--appendfsync", "everysec"] },
  { label: "aof always", durability: "aof", args: ["--appendonly", "yes", "--appendfsync", "always"] },
  { label: "replicas:1", durability: "replicas:1", args: ["--repl-diskless-sync-delay", "0"], withReplica: true },
];

/** Each durable mode against memory, in the same rounds, on private redis-servers; the medians and their ratios. */
async function measureDurability(context: BenchContext, seconds: number, roundCount: number) {
  const dir = await mkdtemp(join(tmpdir(), "bench-durability-"));
  const servers: PrivateRedis[] = [];
  const secret = randomBytes(16).toString("hex");
  try {
    const targets = [];
    for (const mode of DURABILITY_MODES) {
      const modeDir = join(dir, mode.label.replace(/\W+/g, "-"));
      await mkdir(modeDir);
      const primary = await startPrivateRedis(undefined, [...mode.args, "--dir", modeDir]);
      servers.push(primary);
      if (mode.withReplica) {
        const replica = await startPrivateRedis(undefined, ["--replicaof", "127.0.0.1", String(primary.port)]);
        servers.push(replica);
        const probe = new Redis(replica.url);
        const deadline = Date.now() + 30_000;
        while (!(await probe.info("replication")).includes("master_link_status:up")) {
          if (Date.now() > deadline) throw new Error("the bench's replica did not sync in 30 s");
          await new Promise((r) => setTimeout(r, 100));
        }
        probe.disconnect();
      }
      targets.push({ ...mode, url: primary.url, accepted: 0 });
    }
    context.say(`intake durability: ${targets.map((t) => t.label).join(", ")} (private redis-servers, same rounds)`);
    const rounds = new Map<string, Measured[]>(targets.map(({ label }) => [label, []]));
    for (let round = 1; round <= roundCount; round++) {
      for (const target of targets) {
        const server = await startServer("intake", [target.url, "bench", secret, target.durability]);
        const url = `http://127.0.0.1:${server.port}/api/eventgrid?code=${secret}`;
        const warmUp = await load(url, 2);
        const measured = await load(url, seconds);
        target.accepted += warmUp.ok + measured.ok;
        await server.stop();
        rounds.get(target.label)!.push(measured);
        context.say(
          `  round ${round} ${target.label.padEnd(14)} ${measured.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${measured.p50Ms} ms  p99 ${measured.p99Ms} ms`,
        );
      }
    }
    // Every accepted event is in its server's outbox (nothing relays it).
    for (const target of targets) {
      const redis = new Redis(target.url);
      const stored = await redis.xlen(outboxKeys("bench").stream);
      redis.disconnect();
      if (stored < target.accepted || stored > target.accepted + CONNECTIONS * 2 * roundCount)
        throw new Error(`${target.label}: ${target.accepted} events accepted but ${stored} stored in the outbox`);
    }
    const memory = summarise(rounds.get("memory")!);
    const modes = Object.fromEntries(
      targets.map(({ label }) => {
        const summary = summarise(rounds.get(label)!);
        return [label, { ...summary, throughputRatioToMemory: summary.requestsPerSecond / memory.requestsPerSecond }];
      }),
    );
    context.say(
      `  medians: ${targets
        .map(({ label }) => {
          const { requestsPerSecond, p99Ms, throughputRatioToMemory } = modes[label]!;
          return `${label} ${requestsPerSecond.toFixed(0)} req/s (${(throughputRatioToMemory * 100).toFixed(0)}% of memory, p99 ${p99Ms} ms)`;
        })
        .join("; ")}`,
    );
    return { modes };
  } finally {
    for (const server of servers.reverse()) await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
