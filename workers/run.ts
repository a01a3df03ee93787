import { hostname } from "node:os";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { callLogger, type CallLogContext } from "../src/log.js";
import { jobsFailed } from "../src/metrics.js";
import { startHeartbeat, type Heartbeat } from "../src/observability/index.js";
import { queueKeyPrefix, queuesOfRoles, roleOfQueue, type WorkerRole } from "../src/queues/index.js";
import type { RedisClient } from "../src/redis/index.js";
import { failingDependency } from "../src/health/index.js";
import type { JobContext, WorkerDependencies } from "./dependencies.js";
import { dependenciesOf, runsBeforeRecording, type WorkerJob } from "./job.js";
import { callIdsOfJob, mayKnowMore } from "./log-context.js";
import { startOutboxRelay } from "./outbox-relay.js";
import { jobNamed, workerJobs } from "./registry.js";

export interface RunningWorkers {
  workers: Worker[];
  /** The roles this process runs (WORKER_ROLE). */
  roles: readonly WorkerRole[];
  /** This process's heartbeat in Redis (what the webhook's /readyz reports as workers alive). */
  heartbeat: Heartbeat;
  close(): Promise<void>;
}

/** The ids every log line of a job carries: from its payload, completed from the call's session. */
async function callContextOf(deps: WorkerDependencies, definition: WorkerJob, job: Job): Promise<CallLogContext> {
  const ids = callIdsOfJob(job.data);
  if (!ids.serverCallId || !mayKnowMore(runsBeforeRecording(definition, job.data), ids)) return ids;
  const known = await deps.sessions.logIds(ids.serverCallId).catch(() => ({}));
  return { ...known, ...ids };
}

/**
 * Starts one BullMQ worker per queue of its roles (src/queues/roles.ts: control, ingest, retrieval, operations), each
 * dispatching jobs by name to their definition (registry.ts), and, for the control role, the relay that moves
 * accepted events from the intake outbox into the call-events queue. It knows no job by name: what a job is
 * given, what its failure or success means and what runs periodically come from the definitions, and which
 * process runs it from its kind's queue.
 */
export function startWorkers(
  deps: WorkerDependencies,
  redis: RedisClient,
  prefix: string,
  concurrency: number,
  roles: readonly WorkerRole[],
): RunningWorkers {
  if (roles.length === 0) throw new Error("a worker needs at least one role");
  // Outbox entries a killed worker's relay had read are taken over as soon as its jobs would be.
  const relay = roles.includes("control")
    ? startOutboxRelay(redis, deps.queues, prefix, deps.logger, {
        recordingHostSuffixes: deps.recordingHostSuffixes,
        claimIdleMs: deps.jobLockMs,
        sessions: deps.sessions,
      })
    : undefined;
  const heartbeat = startHeartbeat(redis, prefix, { id: `${hostname()}-${process.pid}`, roles }, (err) =>
    deps.logger.warn({ err }, "worker heartbeat not written"),
  );
  // One scheduler id across replicas: upserting it again from another worker changes nothing. Each role
  // schedules the kinds of its own queues, so a deployment schedules each once whatever its layout.
  for (const definition of Object.values(workerJobs) as WorkerJob[]) {
    const { schedule, kind } = definition;
    if (!schedule) continue;
    // Every process, whatever its role, takes a periodic kind's scheduler off the queues it no longer belongs to
    // (the operations jobs were on control before: docs/operations.md "Worker roles"), so it fires once, there.
    void deps.queues
      .unscheduleElsewhere(kind)
      .then((queues) => {
        if (queues.length > 0)
          deps.logger.info({ job: kind.name, from: queues, to: kind.queue }, `moved the scheduler of ${kind.name}`);
      })
      .catch((err: unknown) =>
        deps.logger.error({ err, job: kind.name }, `could not unschedule ${kind.name} elsewhere`),
      );
    if (!roles.includes(roleOfQueue(kind.queue))) continue;
    // 0: the configuration turned this periodic job off (e.g. RECONCILE_EVERY_SECONDS). A scheduler an earlier
    // configuration left would keep firing (a scheduler fires by each run queueing the next): it is removed.
    const everyMs = schedule.everyMs(deps);
    if (everyMs <= 0) {
      void deps.queues
        .unschedule(kind)
        .then((removed) => {
          if (removed) deps.logger.info({ job: kind.name }, `${kind.name} is turned off: removed its scheduler`);
        })
        .catch((err: unknown) => deps.logger.error({ err, job: kind.name }, `could not unschedule ${kind.name}`));
      continue;
    }
    void deps.queues
      .schedule(kind, schedule.payload, everyMs)
      .catch((err: unknown) => deps.logger.error({ err, job: kind.name }, `could not schedule ${kind.name}`));
  }
  const processJob = async (job: Job) => {
    const definition = jobNamed(job.name);
    if (!definition) throw new Error(`unknown job kind ${job.name}`);
    // Every log line of the job carries the call's ids: the job's dependencies get a logger that adds them.
    const logger = callLogger(deps.logger, await callContextOf(deps, definition, job));
    // attemptsMade counts the attempts that ended before this one.
    const context: JobContext = { attempt: job.attemptsMade + 1, progress: (value) => job.updateProgress(value) };
    return definition.perform(dependenciesOf(deps, definition.needs, logger), job.data, context);
  };
  const workers = queuesOfRoles(roles).map((queue) => {
    // A killed worker's job is picked up again once its lock lapses (the stalled check runs as often).
    const worker = new Worker(queue, processJob, {
      connection: redis,
      prefix: queueKeyPrefix(prefix, queue),
      concurrency,
      lockDuration: deps.jobLockMs,
      stalledInterval: deps.jobLockMs,
    });
    worker.on("failed", (job, error) => {
      noteJobHealth(deps, job?.name, error);
      // Out of retries: the job is dead-lettered (`recorder jobs failed`), and the call's ledger says why.
      const exhausted = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError);
      jobsFailed.inc({ queue, job: job?.name ?? "unknown", final: exhausted ? "true" : "false" });
      deps.logger.error(
        {
          ...callIdsOfJob(job?.data),
          queue,
          job: job?.name,
          jobId: job?.id,
          attempts: job?.attemptsMade,
          final: !!exhausted,
          err: error,
        },
        "job failed",
      );
      const definition = jobNamed(job?.name);
      if (job && exhausted && definition?.onExhausted) {
        void definition
          .onExhausted(dependenciesOf(deps, definition.needs, deps.logger), job.data, error)
          .catch((err: unknown) => deps.logger.error({ ...callIdsOfJob(job.data), err }, "onExhausted failed"));
      }
    });
    worker.on("completed", (job) => noteJobHealth(deps, job.name, undefined));
    worker.on("error", (error) => deps.logger.error({ queue, err: error }, "worker error"));
    return worker;
  });
  return {
    workers,
    roles,
    heartbeat,
    async close() {
      await relay?.close();
      await Promise.all(workers.map((worker) => worker.close()));
      await heartbeat.stop();
    },
  };
}

/**
 * Keeps the health view from what jobs meet: a failure caused by ACS or Blob storage themselves (not by one
 * call or blob) counts against it; a job that needed it and succeeded clears the count.
 */
function noteJobHealth(deps: WorkerDependencies, jobName: string | undefined, error: Error | undefined): void {
  const { failureWindowMs } = deps.healthSettings;
  // A success proves what its definition says the job made requests to (e.g. connect-call: ACS answered).
  const component = error ? failingDependency(error, deps.endpoints) : jobNamed(jobName)?.proves;
  if (!component) return;
  const noted = error
    ? deps.health.noteFailure(component, `${jobName ?? "job"}: ${error.message}`.slice(0, 300), failureWindowMs)
    : deps.health.noteSuccess(component);
  noted.catch((err: unknown) => deps.logger.warn({ err, component }, "could not update the health view"));
}
