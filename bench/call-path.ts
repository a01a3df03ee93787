/**
 * What the time-to-record and busy-minute benches share: the moments of a call's path to its recording, read from
 * the app's own records (completed BullMQ jobs) and the simulator's request log, the jobs each call made, and the
 * CPU and Redis commands each party used.
 */
import { Queue } from "bullmq";
import type { RunningSimulator } from "../simulator/index.js";
import { cpuSecondsOf, type AppProcess } from "../scripts/local-stack/processes.js";
import { outboxKeys } from "../src/intake/index.js";
import { QueueName, queueKeyPrefix } from "../src/queues/index.js";
import type { RedisClient } from "../src/redis/index.js";

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
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
export const MOMENTS = [
  "callStartedIn", // the webhook received CallStarted (time-to-record's origin)
  "callStartedRun", // its call-event job began: after the outbox relay and the queue
  "connectAtAcs", // the connect request reached ACS (made by that job: workers/jobs/control/call-event.ts runInline)
  "callConnectedIn", // the webhook received the CallConnected callback
  "callConnectedRun", // its call-event job began
  "startAtAcs", // the start-recording request reached ACS (made by that job)
] as const;
export type Moment = (typeof MOMENTS)[number];
export type Timeline = Partial<Record<Moment, number>>;

/** Every call's timeline so far (see MOMENTS), from the completed jobs of the call-events and control queues. */
export async function timelines(
  redis: RedisClient,
  prefix: string,
  sim: RunningSimulator,
): Promise<Map<string, Timeline>> {
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
export function between(timelines: Map<string, Timeline>, from: Moment, to: Moment, calls: string[]): number[] {
  return calls.flatMap((id) => {
    const a = timelines.get(id)?.[from];
    const b = timelines.get(id)?.[to];
    return a !== undefined && b !== undefined ? [b - a] : [];
  });
}

/** The time between consecutive moments of one call's timeline, named by the later moment. */
export function segmentsOf(timeline: Timeline): string {
  return MOMENTS.slice(1)
    .map((moment, i) => {
      const from = timeline[MOMENTS[i]!];
      const to = timeline[moment];
      return `${moment} +${from !== undefined && to !== undefined ? to - from : "?"}`;
    })
    .join(", ");
}

/** serverCallId → when the first accepted request of an operation for the call reached the simulator. */
export function firstAccepted(sim: RunningSimulator, operation: string): Map<string, number> {
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
export async function cpuSnapshot(processes: AppProcess[], redis: RedisClient): Promise<Record<string, number>> {
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
export async function redisCommands(redis: RedisClient): Promise<number> {
  const stats = await redis.info("commandstats");
  return [...stats.matchAll(/calls=(\d+)/g)].reduce((sum, [, calls]) => sum + Number(calls), 0);
}

export function cpuPerCall(before: Record<string, number>, after: Record<string, number>, calls: number) {
  return Object.fromEntries(
    Object.entries(after).map(([name, seconds]) => [name, ((seconds - (before[name] ?? 0)) * 1000) / calls]),
  );
}

/**
 * The jobs the given calls made, per call, by kind (call events by event type), from the call-events and
 * control queues (every state: delayed checks and watchdogs count too). Deterministic for a given code and
 * simulator: what a change to the path does to the work per call.
 */
export async function jobsPerCall(
  redis: RedisClient,
  prefix: string,
  calls: string[],
): Promise<Record<string, number>> {
  const wanted = new Set(calls);
  const counts: Record<string, number> = {};
  for (const name of [QueueName.callEvents, QueueName.control]) {
    const queue = new Queue(name, { connection: redis, prefix: queueKeyPrefix(prefix, name) });
    for (let start = 0; ; start += 1000) {
      const jobs = await queue.getJobs(
        ["completed", "failed", "delayed", "waiting", "prioritized", "active"],
        start,
        start + 999,
      );
      for (const job of jobs) {
        const data = job.data as { serverCallId?: string; event?: { type: string; data: { serverCallId?: string } } };
        const call = data.serverCallId ?? data.event?.data.serverCallId;
        if (!call || !wanted.has(call)) continue;
        const kind = data.event ? `call-event ${data.event.type.replace("Microsoft.Communication.", "")}` : job.name;
        counts[kind] = (counts[kind] ?? 0) + 1;
      }
      if (jobs.length < 1000) break;
    }
    await queue.close();
  }
  return Object.fromEntries(
    Object.entries(counts)
      .sort(([, a], [, b]) => b - a)
      .map(([kind, n]) => [kind, Number((n / Math.max(1, calls.length)).toFixed(2))]),
  );
}

/** One line of jobs per call: the total, then by kind. */
export function jobsLine(perCall: Record<string, number>): string {
  const total = Object.values(perCall).reduce((sum, n) => sum + n, 0);
  return `jobs per call ${total.toFixed(1)}: ${Object.entries(perCall)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(", ")}`;
}

/**
 * Waits until the calls' work is done: the intake outbox empty and no call-events or control job waiting or
 * running (delayed ones — deadlines, watchdogs — are later work). Counting CPU and Redis commands up to here
 * makes them per call whatever the machine's speed: a loaded machine finishes the same work later, not less of it.
 */
export async function controlSettled(redis: RedisClient, prefix: string, timeoutMs = 120_000): Promise<void> {
  const queues = [QueueName.callEvents, QueueName.control].map(
    (name) => new Queue(name, { connection: redis, prefix: queueKeyPrefix(prefix, name) }),
  );
  try {
    await waitFor(
      async () => {
        const counts = await Promise.all(queues.map((q) => q.getJobCounts("waiting", "prioritized", "active")));
        const outbox = await redis.xlen(outboxKeys(prefix).stream);
        return outbox === 0 && counts.every((c) => (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.active ?? 0) === 0);
      },
      timeoutMs,
      "the calls' events to be handled",
    );
  } finally {
    await Promise.all(queues.map((q) => q.close()));
  }
}
