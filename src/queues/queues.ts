import { createHash } from "node:crypto";
import { Queue, type ConnectionOptions } from "bullmq";
import { QueueName, queueKeyPrefix } from "./names.js";
import { jobDefinitions, type JobName, type PayloadOf } from "./payloads.js";

/** BullMQ job ids may not contain ':'; ids derived from ACS strings are hashed into a safe form. */
export function jobIdFor(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 40);
}

export interface Queues {
  enqueue<N extends JobName>(
    name: N,
    payload: PayloadOf<N>,
    jobId?: string,
    options?: { delayMs?: number },
  ): Promise<void>;
  enqueueMany<N extends JobName>(name: N, jobs: { payload: PayloadOf<N>; jobId?: string }[]): Promise<void>;
  /** Runs a job kind every `everyMs` (a BullMQ job scheduler: one per id across all replicas). */
  schedule<N extends JobName>(name: N, payload: PayloadOf<N>, everyMs: number): Promise<void>;
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
      });
    },
    async enqueueMany(name, jobs) {
      if (jobs.length === 0) return;
      const { options } = jobDefinitions[name];
      await queueOf(name).addBulk(
        jobs.map(({ payload, jobId }) => ({ name, data: payload, opts: { ...options, ...(jobId ? { jobId } : {}) } })),
      );
    },
    async schedule(name, payload, everyMs) {
      await queueOf(name).upsertJobScheduler(
        name,
        { every: everyMs },
        { name, data: payload, opts: jobDefinitions[name].options },
      );
    },
    all: () => [...queues.values()],
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
