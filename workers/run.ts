import { Worker, type Job } from "bullmq";
import { QueueName, type JobName, type PayloadOf } from "../src/queues/index.js";
import type { Redis } from "ioredis";
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
  redis: Redis,
  prefix: string,
  concurrency: number,
): RunningWorkers {
  const relay = startOutboxRelay(redis, deps.queues, prefix, deps.logger);
  const process = async (job: Job) => {
    if (!isJobName(job.name)) throw new Error(`unknown job kind ${job.name}`);
    const perform = performers[job.name] as (d: WorkerDependencies, p: PayloadOf<JobName>) => Promise<unknown>;
    return perform(deps, job.data as PayloadOf<JobName>);
  };
  const workers = Object.values(QueueName).map((queue) => {
    const worker = new Worker(queue, process, { connection: redis, prefix: `${prefix}:bull`, concurrency });
    worker.on("failed", (job, error) => {
      deps.logger.error(
        { queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: error },
        "job failed",
      );
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
