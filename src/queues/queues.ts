import { Job, Queue, type ConnectionOptions } from "bullmq";
import type { PayloadOfKind } from "./kind.js";
import type { AnyJobKind } from "./kinds/index.js";
import { QueueName, queueKeyPrefix } from "./names.js";

/** A job that has not started running: waiting, waiting with a priority, or delayed (including retries in backoff). */
export interface QueuedJob<K extends AnyJobKind> {
  id: string;
  payload: PayloadOfKind<K>;
  /** BullMQ priority: lower runs first; 0 = none (served before every prioritised job). */
  priority: number;
  /** Moves the job to another priority; a delayed job keeps it for when its delay is over. */
  setPriority(priority: number): Promise<void>;
}

/** What one enqueue may set besides the kind's own options. */
export interface EnqueueOptions {
  /** Runs the job this much later (a deadline, a check after events settle). */
  delayMs?: number;
  /** BullMQ priority for this job (ingest: from the time its chunk has left). */
  priority?: number;
}

/**
 * The queues as producers see them: jobs are queued by their kind (src/queues/kinds), which gives their queue,
 * their options and their id — a payload queued twice under a deterministic id is one job.
 */
export interface Queues {
  enqueue<K extends AnyJobKind>(kind: K, payload: PayloadOfKind<K>, options?: EnqueueOptions): Promise<void>;
  enqueueMany<K extends AnyJobKind>(kind: K, payloads: PayloadOfKind<K>[]): Promise<void>;
  /**
   * Removes the job a payload is queued under, if it has not started (waiting or delayed); one running is left to
   * finish, one gone is no error.
   */
  remove<K extends AnyJobKind>(kind: K, payload: PayloadOfKind<K>): Promise<void>;
  /** Runs a job kind every `everyMs` (a BullMQ job scheduler: one per kind across all replicas). */
  schedule<K extends AnyJobKind>(kind: K, payload: PayloadOfKind<K>, everyMs: number): Promise<void>;
  /**
   * Removes a kind's job scheduler, and its next job, from every queue but the kind's own; returns the queues it
   * was found on. A scheduler is upserted by id within one queue: one left on a kind's former queue (from before
   * the kind moved, docs/operations.md "Worker roles") would keep firing there beside the new one.
   */
  unscheduleElsewhere(kind: AnyJobKind): Promise<QueueName[]>;
  /** Removes the kind's scheduler (and its next run) from its own queue: true if there was one. */
  unschedule(kind: AnyJobKind): Promise<boolean>;
  /**
   * Every job of a kind that has not started yet, in pages. The ids are read once up front, so a page moved
   * by `setPriority` is not met again; jobs queued meanwhile wait for the next pass; jobs gone meanwhile are skipped.
   */
  notStarted<K extends AnyJobKind>(kind: K, pageSize?: number): AsyncIterable<QueuedJob<K>[]>;
  /** A job of that kind by id (e.g. an export's status), or undefined. */
  getJob<K extends AnyJobKind>(kind: K, jobId: string): Promise<Job<PayloadOfKind<K>> | undefined>;
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
  const queueOf = (kind: AnyJobKind) => {
    const queue = queues.get(kind.queue);
    if (!queue) throw new Error(`no queue ${kind.queue}`);
    return queue;
  };
  const idOf = (kind: AnyJobKind, payload: unknown) =>
    (kind.jobIdOf as (payload: unknown) => string | undefined)(payload);
  /** The kind's options for this payload: its id, and its own priority where the kind gives one. */
  const optionsOf = (kind: AnyJobKind, payload: unknown) => {
    const jobId = idOf(kind, payload);
    const priority = (kind.priorityOf as (payload: unknown) => number | undefined)(payload);
    return { ...kind.options, ...(jobId ? { jobId } : {}), ...(priority !== undefined ? { priority } : {}) };
  };
  return {
    async enqueue(kind, payload, options) {
      await queueOf(kind).add(kind.name, payload, {
        ...optionsOf(kind, payload),
        ...(options?.delayMs !== undefined ? { delay: Math.max(0, options.delayMs) } : {}),
        ...(options?.priority !== undefined ? { priority: options.priority } : {}),
      });
    },
    async enqueueMany(kind, payloads) {
      if (payloads.length === 0) return;
      await queueOf(kind).addBulk(
        payloads.map((payload) => ({ name: kind.name, data: payload, opts: optionsOf(kind, payload) })),
      );
    },
    async remove(kind, payload) {
      const jobId = idOf(kind, payload);
      if (!jobId) throw new Error(`${kind.name} jobs have no deterministic id: none can be removed by payload`);
      await queueOf(kind).remove(jobId);
    },
    async schedule(kind, payload, everyMs) {
      await queueOf(kind).upsertJobScheduler(
        kind.name,
        { every: everyMs },
        { name: kind.name, data: payload, opts: kind.options },
      );
    },
    unschedule: (kind) => queueOf(kind).removeJobScheduler(kind.name),
    async unscheduleElsewhere(kind) {
      const elsewhere = [...queues.entries()].filter(([name]) => name !== kind.queue);
      const removed = await Promise.all(elsewhere.map(([, queue]) => queue.removeJobScheduler(kind.name)));
      return elsewhere.filter((_, i) => removed[i]).map(([name]) => name as QueueName);
    },
    async *notStarted<K extends AnyJobKind>(kind: K, pageSize = 200): AsyncIterable<QueuedJob<K>[]> {
      const queue = queueOf(kind);
      const ids = await queue.getRanges(["wait", "prioritized", "delayed"], 0, -1, true);
      for (let start = 0; start < ids.length; start += pageSize) {
        const jobs = await Promise.all(ids.slice(start, start + pageSize).map((id) => Job.fromId(queue, id)));
        yield jobs
          .filter((job): job is Job => job?.id !== undefined && job.name === kind.name)
          .map((job) => ({
            id: job.id ?? "",
            payload: job.data as PayloadOfKind<K>,
            priority: job.priority,
            setPriority: (priority: number) => job.changePriority({ priority }),
          }));
      }
    },
    async getJob<K extends AnyJobKind>(kind: K, jobId: string) {
      const job = (await queueOf(kind).getJob(jobId)) as Job<PayloadOfKind<K>> | undefined;
      return job && job.name === kind.name ? job : undefined;
    },
    all: () => [...queues.values()],
    async close() {
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
}
