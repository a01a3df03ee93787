/**
 * `npm run bench -- scale` (issue 8): two webhook and two worker processes against one Redis, 500 calls over 60 s
 * placed through the simulator, Event Grid deliveries and callbacks spread over both webhooks (round robin).
 * Checks that every required call was connected, recorded and archived exactly once, and reports time to record
 * (baseline: calls one at a time, same run), Redis memory per tracked call and CPU per process. Then the same
 * with one webhook and one worker SIGKILLed mid-run (the figures of the undisturbed run are its baseline).
 *
 * Redis: a private redis-server (so that its memory and CPU are this run's alone), a private 3-master Redis Cluster
 * (SCALE_REDIS=cluster), or any deployment REDIS_URL can name (SCALE_REDIS_URL). Sizes: SCALE_CALLS (500), SCALE_SPREAD_MS (60000), SCALE_CALL_MS (15000),
 * SCALE_RECORDING_MS (1000 ms of audio per call), SCALE_VARIANTS (steady,kill).
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  freePort,
  startPrivateRedis,
  startPrivateRedisCluster,
  type PrivateRedis,
  type PrivateRedisCluster,
} from "../scripts/local-stack/services.js";
import { runScaleScenario, type ScaleReport } from "./scale-scenario.js";
import { writeResult, type BenchContext } from "./result.js";

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

function print(context: BenchContext, label: string, report: ScaleReport, baseline?: ScaleReport) {
  const say = context.say;
  const notRequired = report.calls - report.required;
  say(`  ${label}`);
  say(
    `    exactly once: ${report.recordedExactlyOnce}/${report.required} required calls connected once, recorded once, every chunk archived once (hash verified), manifest, ledger recorded`,
  );
  say(`    calls in no team never connected: ${report.notRequiredUntouched}/${notRequired}`);
  for (const problem of report.problems.slice(0, 10)) say(`    PROBLEM ${JSON.stringify(problem)}`);
  if (report.problems.length > 10) say(`    … and ${report.problems.length - 10} more problems`);
  const ttr = report.timeToRecord;
  const base = report.baselineTimeToRecord;
  say(
    `    time to record (CallStarted at the app → start at ACS): p50 ${ttr.p50Ms} ms, p99 ${ttr.p99Ms} ms, max ${ttr.maxMs} ms (n=${ttr.count}); one at a time p50 ${base.p50Ms} ms (n=${base.count}) → p50 ratio ${(ttr.p50Ms / base.p50Ms).toFixed(2)}`,
  );
  if (baseline) {
    say(
      `    against the undisturbed run: p50 ×${(ttr.p50Ms / baseline.timeToRecord.p50Ms).toFixed(2)}, p99 ×${(ttr.p99Ms / baseline.timeToRecord.p99Ms).toFixed(2)}`,
    );
  }
  say(
    `    deliveries through the spread: ${report.delivery.answered.join(" + ")} answered, ${report.delivery.unanswered} unanswered (retried by the sender); extra content downloads ${report.extraDownloads}; settled ${(report.settleMs / 1000).toFixed(1)} s after the last call ended`,
  );
  for (const [path, { lagMs, answerMs }] of Object.entries(report.delivery.paths)) {
    say(
      `    ${path}: arrived p50 ${lagMs.p50} ms / p99 ${lagMs.p99} ms / max ${lagMs.max} ms after the event; webhook answered p50 ${answerMs.p50} ms / p99 ${answerMs.p99} ms / max ${answerMs.max} ms`,
    );
  }
  say(
    `    jobs (queue wait / run, p50–p99 ms): ${Object.entries(report.jobs)
      .map(([name, j]) => `${name} ×${j.count} ${j.waitP50}–${j.waitP99} / ${j.runP50}–${j.runP99}`)
      .join("; ")}`,
  );
  say(
    `    Redis: used_memory ${mb(report.redis.usedMemoryBeforeBytes)} → ${mb(report.redis.usedMemoryAfterBytes)} MB = ${(report.redis.usedMemoryPerCallBytes / 1024).toFixed(1)} KiB per call; by kind per call (MEMORY USAGE): ${Object.entries(
      report.redis.perCallBytesByKind,
    )
      .sort((a, b) => b[1] - a[1])
      .map(([kind, bytes]) => `${kind} ${(bytes / 1024).toFixed(2)} KiB`)
      .join(", ")}`,
  );
  for (const p of report.cpu) {
    say(
      `    CPU ${p.name.padEnd(36)} ${p.cpuSeconds.toFixed(1).padStart(6)} s over ${p.wallSeconds.toFixed(0)} s = ${p.percentOfCore.toFixed(0).padStart(3)} % of a core`,
    );
  }
}

export async function runScaleBench(context: BenchContext): Promise<void> {
  const calls = Number(process.env.SCALE_CALLS ?? 500);
  const spreadMs = Number(process.env.SCALE_SPREAD_MS ?? 60_000);
  const callDurationMs = Number(process.env.SCALE_CALL_MS ?? 15_000);
  const recordingDurationMs = Number(process.env.SCALE_RECORDING_MS ?? 1_000);
  const variants = (process.env.SCALE_VARIANTS ?? "steady,kill").split(",");
  // Redis of this run only, so that its memory and CPU are the run's: one server, or SCALE_REDIS=cluster.
  const cluster = process.env.SCALE_REDIS === "cluster";
  const own: PrivateRedis | PrivateRedisCluster | undefined = process.env.SCALE_REDIS_URL
    ? undefined
    : cluster
      ? await startPrivateRedisCluster()
      : await startPrivateRedis(await freePort());
  const redisUrl = process.env.SCALE_REDIS_URL ?? own!.url;
  const redisPids = own
    ? ("processes" in own ? own.processes : [own.process]).flatMap((p) => (p.pid === undefined ? [] : [p.pid]))
    : [];
  const redisLabel = own ? (cluster ? "private 3-master Redis Cluster" : "private redis-server") : redisUrl;
  context.say(
    `scale: 2 webhooks + 2 workers (processes), ${calls} calls over ${spreadMs / 1000} s, Redis: ${redisLabel}`,
  );
  context.say("  (the machine is shared with other work: CPU and latency figures are noisy; exactly-once is not)");
  const reports: Record<string, ScaleReport> = {};
  try {
    for (const variant of variants) {
      // The processes' logs stay in data/logs/scale-<variant>/ (as npm start's do in data/logs/).
      const logDir = join("data", "logs", `scale-${variant}`);
      await mkdir(logDir, { recursive: true });
      const report = await runScaleScenario({
        logDir,
        calls,
        spreadMs,
        callDurationMs,
        recordingDurationMs,
        notRequiredEvery: 10,
        baselineCalls: 10,
        ...(variant === "kill" ? { killAtMs: spreadMs / 2 } : {}),
        redisUrl,
        redisPids,
        workerLockMs: 3_000,
        workerConcurrency: 8,
        deliveryConcurrency: 16,
        settleTimeoutMs: 120_000,
        say: context.say,
      });
      reports[variant] = report;
      print(
        context,
        variant === "kill" ? "with one webhook and one worker killed mid-run:" : "undisturbed:",
        report,
        variant === "kill" ? reports.steady : undefined,
      );
    }
  } finally {
    await own?.stop();
  }
  const path = await writeResult("scale", {
    redis: redisLabel,
    workerLockMs: 3_000,
    workerConcurrency: 8,
    deliveryConcurrency: 16,
    ...reports,
  });
  context.say(`  → ${path}`);
  const failed = Object.values(reports).filter(
    (r) => r.recordedExactlyOnce !== r.required || r.notRequiredUntouched !== r.calls - r.required,
  );
  if (failed.length > 0) throw new Error("scale: not every call was recorded exactly once (see PROBLEM lines)");
}
