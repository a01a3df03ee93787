// Deterministic waits on the app's work, for negative checks ("nothing happened"): instead of sleeping for a while,
// wait until the work that could have done it is over, then look.
import type { Job, JobType } from "bullmq";
import { outboxKeys } from "../../src/intake/outbox.js";
import { jobKinds, QueueName, type JobName, type PayloadOf } from "../../src/queues/index.js";
import { eventually, type Stack } from "./stack.js";

/** Waits until a job has finished for good (completed, or failed with no attempt left) and returns it. */
export function finishedJob<N extends JobName>(
  stack: Stack,
  name: N,
  jobId: string,
  timeoutMs = 20_000,
): Promise<Job<PayloadOf<N>>> {
  return eventually(
    async () => {
      const job = await stack.runtime.queues.getJob(jobKinds[name], jobId);
      return job?.finishedOn ? job : undefined;
    },
    timeoutMs,
    `the ${name} job ${jobId} to finish`,
  );
}

/** Waits until a job has failed at least once (an attempt that threw; it may be waiting for its retry). */
export function failedAttempt<N extends JobName>(
  stack: Stack,
  name: N,
  jobId: string,
  timeoutMs = 20_000,
): Promise<Job<PayloadOf<N>>> {
  return eventually(
    async () => {
      const job = await stack.runtime.queues.getJob(jobKinds[name], jobId);
      return job && job.attemptsMade > 0 ? job : undefined;
    },
    timeoutMs,
    `an attempt of the ${name} job ${jobId} to fail`,
  );
}

/** The finished jobs of one kind for one call (ids of some kinds derive from event ids a test does not know). */
export async function finishedJobsOfCall<N extends JobName>(
  stack: Stack,
  name: N,
  serverCallId: string,
): Promise<Job<PayloadOf<N>>[]> {
  const queue = stack.runtime.queues.all().find((q) => q.name === QueueName.control);
  if (!queue) throw new Error("no control queue");
  const jobs = (await queue.getJobs(["completed", "failed"])) as Job<PayloadOf<N>>[];
  return jobs.filter(
    (job) => job.name === name && (job.data as { serverCallId?: string }).serverCallId === serverCallId,
  );
}

/**
 * Waits until everything the webhook has accepted so far has been worked off: the intake outbox relayed, no call
 * event or ingest job waiting, running or waiting for a retry, no control or operations job waiting or running.
 * Control jobs delayed to a deadline (enforce-start, expect-recording, a delayed check) and the periodic jobs'
 * next runs (operations) are not waited for. Seen idle on two polls in a row: the counts are read one queue after the other, and a job that ends may
 * just have queued another.
 */
export async function drained(stack: Stack, timeoutMs = 20_000): Promise<void> {
  const { redis, queues } = stack.runtime;
  const stream = outboxKeys(stack.config.REDIS_PREFIX).stream;
  const busy = async () => {
    let count = await redis.xlen(stream);
    for (const queue of queues.all()) {
      const states: JobType[] =
        queue.name === QueueName.control || queue.name === QueueName.operations
          ? ["waiting", "prioritized", "active"]
          : ["waiting", "prioritized", "active", "delayed"];
      const counts = await queue.getJobCounts(...states);
      count += Object.values(counts).reduce((sum, n) => sum + n, 0);
    }
    return count;
  };
  let idleBefore = false;
  await eventually(
    async () => {
      const idle = (await busy()) === 0;
      const twice = idle && idleBefore;
      idleBefore = idle;
      return twice ? true : undefined;
    },
    timeoutMs,
    "the app's work to be done",
  );
}
