import { createHash } from "node:crypto";
import { Job, Queue, type ConnectionOptions } from "bullmq";
import { QueueName, queueKeyPrefix } from "./names.js";
import { jobDefinitions, type JobName, type PayloadOf } from "./payloads.js";

/** BullMQ job ids may not contain ':'; ids derived from ACS strings are hashed into a safe form. */
export function jobIdFor(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 40);
}

/** A job that has not started running: waiting, waiting with a priority, or delayed (including retries in backoff). */
export interface QueuedJob<N extends JobName> {
  id: string;
  payload: PayloadOf<N>;
  /** BullMQ priority: lower runs first; 0 = none (served before every prioritised job). */
  priority: number;
  /** Moves the job to another priority; a delayed job keeps it for when its delay is over. */
  setPriority(priority: number): Promise<void>;
}

export interface Queues {
  enqueue<N extends JobName>(
    name: N,
    payload: PayloadOf<N>,
    jobId?: string,
    options?: { delayMs?: number; priority?: number },
  ): Promise<void>;
  enqueueMany<N extends JobName>(name: N, jobs: { payload: PayloadOf<N>; jobId?: string }[]): Promise<void>;
  /** Removes a job that has not started (waiting or delayed); one running is left to finish, one gone is no error. */
  remove<N extends JobName>(name: N, jobId: string): Promise<void>;
  /** Runs a job kind every `everyMs` (a BullMQ job scheduler: one per id across all replicas). */
  schedule<N extends JobName>(name: N, payload: PayloadOf<N>, everyMs: number): Promise<void>;
  /**
   * Every job of a kind that has not started yet, in pages. The ids are read once up front, so a page moved
   * by `setPriority` is not met again; jobs queued meanwhile wait for the next pass; jobs gone meanwhile are skipped.
   */
  notStarted<N extends JobName>(name: N, pageSize?: number): AsyncIterable<QueuedJob<N>[]>;
  /** A job of that kind by id (e.g. an export's status), or undefined. */
  getJob<N extends JobName>(name: N, jobId: string): Promise<Job<PayloadOf<N>> | undefined>;
  all(): Queue[];
  close(): Promise<void>;
}

export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const queues = new Map<string, Queue>(
    Object.values(QueueName).map((name) => [
      name,
      new Queue(name, { connection, prefix: queueKeyPrefix(prefix, name) }),
    ]),
  );
  const queueOf = (name: JobName) => {
    const queue = queues.get(jobDefinitions[name].queue);
    if (!queue) throw new Error(`no queue ${jobDefinitions[name].queue}`);
    return queue;
  };
  return {
    async enqueue(name, payload, jobId, options) {
      await queueOf(name).add(name, payload, {
        ...jobDefinitions[name].options,
        ...(jobId ? { jobId } : {}),
        ...(options?.delayMs !== undefined ? { delay: Math.max(0, options.delayMs) } : {}),
        ...(options?.priority !== undefined ? { priority: options.priority } : {}),
      });
    },
    async enqueueMany(name, jobs) {
      if (jobs.length === 0) return;
      const { options } = jobDefinitions[name];
      await queueOf(name).addBulk(
        jobs.map(({ payload, jobId }) => ({ name, data: payload, opts: { ...options, ...(jobId ? { jobId } : {}) } })),
      );
    },
    async remove(name, jobId) {
      await queueOf(name).remove(jobId);
    },
    async schedule(name, payload, everyMs) {
      await queueOf(name).upsertJobScheduler(
        name,
        { every: everyMs },
        { name, data: payload, opts: jobDefinitions[name].options },
      );
    },
    async *notStarted(name, pageSize = 200) {
      const queue = queueOf(name);
      const ids = await queue.getRanges(["wait", "prioritized", "delayed"], 0, -1, true);
      for (let start = 0; start < ids.length; start += pageSize) {
        const jobs = await Promise.all(ids.slice(start, start + pageSize).map((id) => Job.fromId(queue, id)));
        yield jobs
          .filter((job): job is Job => job?.id !== undefined && job.name === name)
          .map((job) => ({
            id: job.id ?? "",
            payload: job.data as PayloadOf<typeof name>,
            priority: job.priority,
            setPriority: (priority: number) => job.changePriority({ priority }),
          }));
      }
    },
    async getJob(name, jobId) {
      const job = await queueOf(name).getJob(jobId);
      return job && job.name === name ? job : undefined;
    },
    all: () => [...queues.values()],
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
