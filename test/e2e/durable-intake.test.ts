// Nothing acknowledged is lost (issue 23, docs/redis.md): Redis is killed with SIGKILL right after deliveries were
// answered 200 and before any relay moved them on; afterwards a relay and a worker count what they process. Each
// test has Redis servers of its own (never the shared one): (a) AOF with appendfsync always (and everysec),
// restarted on the same port and directory; (b) a primary, a replica and a Sentinel with replicas:1, failing over; (c) memory, which
// loses exactly what the docs warn about. Run with --maxWorkers=1.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import { afterEach, describe, expect, it } from "vitest";
import {
  freePort,
  redisAnswers,
  startPrivateRedis,
  startPrivateSentinel,
  stopChild,
  type PrivateRedis,
} from "../../scripts/local-stack/services.js";
import { ensureSystemTool, STRACE } from "../../scripts/local-stack/system-packages.js";
import { createApp } from "../../src/http/app.js";
import type { IntakeDurability } from "../../src/intake/durability.js";
import { outboxKeys } from "../../src/intake/outbox.js";
import { createRedisEventSink, INTAKE_REDIS_OPTIONS } from "../../src/intake/sink.js";
import { createLogger } from "../../src/log.js";
import { createQueues, QueueName, queueKeyPrefix } from "../../src/queues/index.js";
import { checkRedisSettings, createRedisClient, type RedisClient } from "../../src/redis/index.js";
import { startOutboxRelay } from "../../workers/outbox-relay.js";
import * as documented from "../fixtures/documented-events.js";
import { eventually } from "../support/stack.js";

const logger = createLogger("silent", "chaos");
const recordingHostSuffixes = [".asm.skype.com"];
const SECRET = "chaos-secret";
const PREFIX = "chaos";

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A webhook's intake (the real Event Grid route and sink) on its own connection, as src/webhook.ts builds it. */
async function startIntake(redisUrl: string, durability: IntakeDurability): Promise<string> {
  const redis = createRedisClient(redisUrl, INTAKE_REDIS_OPTIONS);
  redis.on("error", () => undefined);
  const sink = createRedisEventSink(redis, PREFIX, durability);
  const app = createApp({
    logger,
    sink,
    callbackVerifier: { verify: async () => undefined },
    eventGridSecrets: [SECRET],
    recordingHostSuffixes,
    maxBodyBytes: 1024 * 1024,
    readiness: {},
  });
  const server: Server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  cleanups.push(
    () => redis.disconnect(),
    () => new Promise((resolve) => server.close(resolve)),
  );
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/api/eventgrid?code=${SECRET}`;
}

/** Delivers one event as Event Grid does; the answer's status, or 0 when there was none. */
async function deliver(url: string, id: string): Promise<number> {
  const body = JSON.stringify([{ ...documented.callStarted, id, data: { ...documented.callStarted.data } }]);
  try {
    const response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}

/** Event Grid's retries: delivers again until it is answered 200. */
async function deliverUntilAccepted(url: string, id: string): Promise<void> {
  await eventually(async () => ((await deliver(url, id)) === 200 ? true : undefined), 30_000, `${id} accepted`);
}

/**
 * A burst of deliveries, `concurrency` at a time. With `killAfter`, once that many were answered 200 it runs
 * `kill` and sends nothing more (what was in flight finishes). Returns the ids answered 200, and the others (not
 * answered 200, or not sent: Event Grid would deliver those later).
 */
async function burst(
  url: string,
  ids: string[],
  concurrency: number,
  killAfter?: { acks: number; kill: () => void },
): Promise<{ acked: string[]; refused: string[] }> {
  const acked: string[] = [];
  const refused: string[] = [];
  let next = 0;
  let stopped = false;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (!stopped && next < ids.length) {
        const id = ids[next++]!;
        if ((await deliver(url, id)) === 200) {
          acked.push(id);
          if (acked.length === killAfter?.acks) {
            stopped = true;
            killAfter.kill();
          }
        } else refused.push(id);
      }
    }),
  );
  return { acked, refused: [...refused, ...ids.slice(next)] };
}

const ids = (label: string, count: number) => Array.from({ length: count }, (_, i) => `${label}-${i}`);

interface Processing {
  /** How often each event id was processed. */
  processed: Map<string, number>;
  /** Nothing left to process: the outbox relayed, no call-event job waiting, running or due for a retry. */
  idle(): Promise<boolean>;
}

/** A worker process's relay and a worker on the call-events queue that counts each event it processes. */
function startProcessing(redisUrl: string): Processing {
  const redis: RedisClient = createRedisClient(redisUrl, { maxRetriesPerRequest: null });
  redis.on("error", () => undefined);
  const queues = createQueues(redis, PREFIX);
  const relay = startOutboxRelay(redis, queues, PREFIX, logger, { recordingHostSuffixes, claimIdleMs: 2_000 });
  const processed = new Map<string, number>();
  const worker = new Worker(
    QueueName.callEvents,
    async (job) => {
      const { id } = (job.data as { event: { id: string } }).event;
      processed.set(id, (processed.get(id) ?? 0) + 1);
    },
    { connection: redis, prefix: queueKeyPrefix(PREFIX, QueueName.callEvents), concurrency: 8 },
  );
  cleanups.push(async () => {
    await relay.close();
    await worker.close();
    await queues.close();
    redis.disconnect();
  });
  const queue = queues.all().find((q) => q.name === QueueName.callEvents)!;
  const idle = async () =>
    (await redis.xlen(outboxKeys(PREFIX).stream)) === 0 &&
    Object.values(await queue.getJobCounts("waiting", "prioritized", "active", "delayed")).every((n) => n === 0);
  return { processed, idle };
}

/**
 * Waits until every `expected` event was processed and nothing is left that could be processed
 * again: every outbox entry relayed (a relay deletes an entry once its job is queued; one claimed again after a
 * crash is still there until then) and every job done. Seen idle on two polls in a row (the stream and the queue
 * are read one after the other).
 */
async function settled({ processed, idle }: Processing, expected: string[]): Promise<void> {
  const missing = () => expected.filter((id) => !processed.has(id));
  await eventually(
    () => (missing().length === 0 ? true : undefined),
    60_000,
    `${expected.length} events processed`,
  ).catch(async (error: Error) => {
    // A slow restart and a lost event look alike on a timeout: say which were never processed and whether the
    // outbox or the queue still held work.
    throw new Error(`${error.message}; never processed: ${missing().join(", ")}; idle: ${await idle()}`);
  });
  await drained({ idle });
}

/** Nothing left that could be processed, seen on two polls in a row. */
async function drained({ idle }: Pick<Processing, "idle">): Promise<void> {
  let idleBefore = false;
  await eventually(
    async () => {
      const now = await idle();
      const twice = now && idleBefore;
      idleBefore = now;
      return twice ? true : undefined;
    },
    60_000,
    "the outbox and the queue to be empty",
  );
}

async function restartDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "chaos-redis-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function kill(server: PrivateRedis): Promise<void> {
  return new Promise((resolve) => {
    server.process.once("exit", () => resolve());
    server.process.kill("SIGKILL");
  });
}

/**
 * Half a burst is acknowledged, Redis is SIGKILLed with the rest in flight, restarted on the same port and
 * directory; Event Grid retries what was not answered 200. Returns what was acknowledged before the kill and
 * what the relay and worker then processed.
 */
async function killMidBurst(args: string[], durability: IntakeDurability) {
  const port = await freePort();
  let redis = await startPrivateRedis(port, args);
  cleanups.push(() => redis.stop());
  const url = await startIntake(redis.url, durability);
  const sent = ids(durability.mode, 200);
  let killed: Promise<void> | undefined;
  const { acked, refused } = await burst(url, sent, 20, { acks: 100, kill: () => (killed = kill(redis)) });
  await killed;
  const ackedBeforeKill = [...acked];
  redis = await startPrivateRedis(port, args);
  for (const id of refused) await deliverUntilAccepted(url, id);
  const processing = startProcessing(redis.url);
  return { ackedBeforeKill, refused, sent, processing };
}

describe("durable intake when Redis dies", () => {
  // appendfsync always writes and fsyncs the AOF before answering: a killed redis-server (or a power failure)
  // loses nothing acknowledged. everysec is not the same, even for a kill: the next test.
  it.each(["always"])(
    "(a) aof, appendfsync %s: every event acknowledged before SIGKILL is processed exactly once after the restart",
    async (appendfsync) => {
      const dir = await restartDir();
      const args = ["--appendonly", "yes", "--appendfsync", appendfsync, "--dir", dir];
      const { ackedBeforeKill, sent, processing } = await killMidBurst(args, { mode: "aof" });
      expect(ackedBeforeKill.length).toBeGreaterThanOrEqual(100);
      await settled(processing, sent);
      const { processed } = processing;
      for (const id of ackedBeforeKill) expect(processed.get(id), id).toBe(1);
      // The ones refused or cut off by the kill were retried and are there too, once (de-duplication).
      expect([...processed.keys()].sort()).toEqual([...sent].sort());
      expect([...processed.values()].every((count) => count === 1)).toBe(true);
    },
    120_000,
  );

  // everysec fsyncs in the background; while that fsync is slow (a busy disk), Redis postpones writing the AOF
  // for up to 2 s and answers the commands anyway (Redis's flushAppendOnlyFile; its log then says "Asynchronous
  // AOF fsync is taking too long"). A redis-server killed then loses what it acknowledged: the reason the start-up
  // check warns about everysec (docs/redis.md). strace makes every fsync take 3 s, i.e. a slow disk on demand.
  it("(a) aof, appendfsync everysec with a slow disk: a SIGKILLed Redis loses events it acknowledged", async () => {
    const strace = ensureSystemTool(STRACE);
    if (!strace.ok) throw new Error(strace.problem);
    const dir = await restartDir();
    const port = await freePort();
    const serverArgs = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
    const aofArgs = ["--appendonly", "yes", "--appendfsync", "everysec", "--dir", dir];
    const slowFsync = ["fsync", "fdatasync"].flatMap((call) => ["-e", `inject=${call}:delay_exit=3000000`]);
    const traced = spawn(
      "strace",
      [
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        "trace=fsync,fdatasync",
        ...slowFsync,
        "redis-server",
        ...serverArgs,
        ...aofArgs,
      ],
      { stdio: "ignore" },
    );
    cleanups.push(() => stopChild(traced));
    await eventually(async () => ((await redisAnswers("127.0.0.1", port)) ? true : undefined), 10_000, "Redis up");
    const redisUrl = `redis://127.0.0.1:${port}`;
    const admin = createRedisClient(redisUrl, { maxRetriesPerRequest: 1 });
    admin.on("error", () => undefined);
    cleanups.push(() => admin.disconnect());
    const report = await checkRedisSettings(admin, {
      production: true,
      durability: { mode: "aof" },
      warn: () => undefined,
    });
    expect(report.warnings.join("\n")).toMatch(
      /appendfsync is everysec.*a crash of redis-server while the disk is slow/,
    );
    const pid = Number(/process_id:(\d+)/.exec(await admin.info("server"))![1]);

    // Deliveries one at a time, each answered 200, until Redis holds acknowledged writes it has not written.
    const url = await startIntake(redisUrl, { mode: "aof" });
    const acked: string[] = [];
    await eventually(
      async () => {
        const id = `slow-disk-${acked.length}`;
        expect(await deliver(url, id)).toBe(200);
        acked.push(id);
        const unwritten = Number(/aof_buffer_length:(\d+)/.exec(await admin.info("persistence"))?.[1] ?? 0);
        return acked.length >= 20 && unwritten > 0 ? true : undefined;
      },
      20_000,
      "an acknowledged write waiting behind a slow fsync",
    );
    process.kill(pid, "SIGKILL");
    await new Promise((resolve) => (traced.exitCode === null ? traced.once("exit", resolve) : resolve(undefined)));

    const restarted = await startPrivateRedis(port, aofArgs);
    cleanups.push(() => restarted.stop());
    const processing = startProcessing(restarted.url);
    await drained(processing);
    const lost = acked.filter((id) => !processing.processed.has(id));
    // Acknowledged, never retried by Event Grid, and gone; what was written is processed once.
    expect(lost.length, `${lost.length} of ${acked.length} acknowledged events lost`).toBeGreaterThan(0);
    expect(lost).toEqual(acked.slice(acked.length - lost.length));
    expect([...processing.processed.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);

  it("(c) memory: the events acknowledged but not yet relayed are gone after the same SIGKILL", async () => {
    const dir = await restartDir();
    const { ackedBeforeKill, refused, processing } = await killMidBurst(["--dir", dir], { mode: "memory" });
    expect(ackedBeforeKill.length).toBeGreaterThanOrEqual(100);
    // Only Event Grid's retries of what was not acknowledged are processed; every acknowledged event is lost.
    await settled(processing, refused);
    const { processed } = processing;
    expect([...processed.keys()].sort()).toEqual([...refused].sort());
    expect(ackedBeforeKill.filter((id) => processed.has(id))).toEqual([]);
  }, 120_000);

  it("(b) replicas:1 with Sentinel: the primary SIGKILLed right after acknowledgements loses none of them", async () => {
    // No 5 s pause before the first full sync (the default for diskless replication).
    const primary = await startPrivateRedis(undefined, ["--repl-diskless-sync-delay", "0"]);
    const replica = await startPrivateRedis(undefined, ["--replicaof", "127.0.0.1", String(primary.port)]);
    const sentinel = await startPrivateSentinel(primary.port, "recorder", {
      downAfterMs: 1000,
      failoverTimeoutMs: 3000,
    });
    cleanups.push(
      () => primary.stop(),
      () => replica.stop(),
      () => sentinel.stop(),
    );
    const admin = createRedisClient(`redis://127.0.0.1:${sentinel.port}`, { maxRetriesPerRequest: 1 });
    cleanups.push(() => admin.disconnect());
    /** The replica as the Sentinel sees it: known and not down (a failover can only pick such a replica). */
    const replicaHealthy = async () => {
      const replicas = (await admin.call("SENTINEL", "REPLICAS", "recorder")) as string[][];
      const flags = replicas.map((fields) => fields[fields.indexOf("flags") + 1]);
      return flags.length === 1 && !flags[0]!.includes("down") ? true : undefined;
    };
    await eventually(replicaHealthy, 30_000, "the Sentinel to see the replica up");
    const replicaNode = createRedisClient(replica.url, { maxRetriesPerRequest: 1 });
    cleanups.push(() => replicaNode.disconnect());
    await eventually(
      async () => ((await replicaNode.info("replication")).includes("master_link_status:up") ? true : undefined),
      30_000,
      "the replica in sync",
    );

    const sentinelUrl = `redis+sentinel://127.0.0.1:${sentinel.port}/recorder`;
    const durability: IntakeDurability = { mode: "replicas", replicas: 1, timeoutMs: 1000 };
    // As a webhook starts: the settings check passes in production, and sees the replica.
    const check = createRedisClient(sentinelUrl, { maxRetriesPerRequest: 1 });
    const report = await checkRedisSettings(check, { production: true, durability, warn: () => undefined });
    check.disconnect();
    expect(report.nodes).toEqual([
      expect.objectContaining({ node: `127.0.0.1:${primary.port}`, connectedReplicas: 1 }),
    ]);
    const webhookA = await startIntake(sentinelUrl, durability);
    const webhookB = await startIntake(sentinelUrl, durability);

    // Confirmed deliveries; one the replica was too slow to confirm (a loaded machine) is retried, as Event Grid does.
    const replicated = ids("replicated", 150);
    const first = await burst(webhookA, replicated, 20);
    expect(first.acked.length).toBeGreaterThan(0);
    for (const id of first.refused) await deliverUntilAccepted(webhookA, id);

    // The replica stops confirming: nothing is acknowledged, and Event Grid's retry reaching another webhook
    // replica is not acknowledged either (its events are already stored, i.e. duplicates, but unconfirmed).
    replica.process.kill("SIGSTOP");
    const unconfirmed = ids("unconfirmed", 10);
    expect(await Promise.all(unconfirmed.map((id) => deliver(webhookA, id)))).toEqual(unconfirmed.map(() => 503));
    expect(await Promise.all(unconfirmed.map((id) => deliver(webhookB, id)))).toEqual(unconfirmed.map(() => 503));
    replica.process.kill("SIGCONT");
    await eventually(replicaHealthy, 30_000, "the Sentinel to see the replica up again");
    // Confirmed now: the retries are answered 200, and the primary dies right after. (Their groups stored nothing
    // new, yet wrote the confirmation key: their WAIT covers the first write whatever the server counts; sink.ts.)
    for (const id of unconfirmed) await deliverUntilAccepted(webhookB, id);
    expect(await admin.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "recorder")).toEqual([
      "127.0.0.1",
      String(primary.port),
    ]);
    const onPrimary = createRedisClient(primary.url, { maxRetriesPerRequest: 1 });
    expect(await onPrimary.exists(outboxKeys(PREFIX).confirm)).toBe(1);
    onPrimary.disconnect();
    await kill(primary);

    await eventually(
      async () => {
        const [, port] = ((await admin.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "recorder")) as string[]) ?? [];
        return Number(port) === replica.port ? true : undefined;
      },
      60_000,
      "the Sentinel to promote the replica",
    );
    const processing = startProcessing(sentinelUrl);
    const acknowledged = [...replicated, ...unconfirmed];
    await settled(processing, acknowledged);
    const { processed } = processing;
    expect([...processed.keys()].sort()).toEqual([...acknowledged].sort());
    expect([...processed.values()].every((count) => count === 1)).toBe(true);
  }, 180_000);
});
