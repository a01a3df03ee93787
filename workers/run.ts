import { UnrecoverableError, Worker, type Job } from "bullmq";
import { QueueName, queueKeyPrefix, type JobName, type PayloadOf } from "../src/queues/index.js";
import type { RedisClient } from "../src/redis/index.js";
import type { WorkerDependencies } from "./dependencies.js";
import { startOutboxRelay } from "./outbox-relay.js";
import { isJobName, performers } from "./registry.js";

export interface RunningWorkers {
  workers: Worker[];
  close(): Promise<void>;
}

/**
 * Starts one BullMQ worker per queue, each dispatching jobs by name to their `perform`, and the relay that
 * moves accepted events from the intake outbox into the call-events queue.
 */
export function startWorkers(
  deps: WorkerDependencies,
  redis: RedisClient,
  prefix: string,
  concurrency: number,
): RunningWorkers {
  // Outbox entries a killed worker's relay had read are taken over as soon as its jobs would be.
  const relay = startOutboxRelay(redis, deps.queues, prefix, deps.logger, { claimIdleMs: deps.jobLockMs });
  // One scheduler id across replicas: upserting it again from another worker changes nothing.
  void deps.queues
    .schedule("sweep-gaps", {}, deps.gapSweepEveryMs)
    .catch((err: unknown) => deps.logger.error({ err }, "could not schedule the gap sweep"));
  const process = async (job: Job) => {
    if (!isJobName(job.name)) throw new Error(`unknown job kind ${job.name}`);
    const perform = performers[job.name] as (d: WorkerDependencies, p: PayloadOf<JobName>) => Promise<unknown>;
    return perform(deps, job.data as PayloadOf<JobName>);
  };
  const workers = Object.values(QueueName).map((queue) => {
    // A killed worker's job is picked up again once its lock lapses (the stalled check runs as often).
    const worker = new Worker(queue, process, {
      connection: redis,
      prefix: queueKeyPrefix(prefix, queue),
      concurrency,
      lockDuration: deps.jobLockMs,
      stalledInterval: deps.jobLockMs,
    });
    worker.on("failed", (job, error) => {
      deps.logger.error(
        { queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: error },
        "job failed",
      );
      // Out of retries: the job is dead-lettered (`recorder jobs failed`), and the call's ledger says why.
      const exhausted = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError);
      if (job?.name === "ingest-chunk" && exhausted) {
        const payload = job.data as PayloadOf<"ingest-chunk">;
        void deps.ledger
          ?.record({
            serverCallId: payload.serverCallId,
            ...(payload.correlationId ? { correlationId: payload.correlationId } : {}),
            outcome: "failed",
            reason: `chunk ${payload.chunk.index}: ${error.message}`,
            recordingId: payload.recordingId,
          })
          .catch((err: unknown) =>
            deps.logger.error({ serverCallId: payload.serverCallId, err }, "ledger write failed"),
          );
      }
    });
    worker.on("error", (error) => deps.logger.error({ queue, err: error }, "worker error"));
    return worker;
  });
  return {
    workers,
    async close() {
      await relay.close();
      await Promise.all(workers.map((worker) => worker.close()));
    },
  };
}
