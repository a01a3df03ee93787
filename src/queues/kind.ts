import type { JobsOptions } from "bullmq";
import { createHash } from "node:crypto";
import type { QueueName } from "./names.js";

/** BullMQ job ids may not contain ':'; ids derived from ACS strings are hashed into a safe form. */
export function jobIdFor(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 40);
}

/**
 * Control-queue priorities (BullMQ: lower runs first). Getting a call recorded comes before everything;
 * enforcement and PCI pauses next; announcements and after-the-fact checks last. The operations queue uses the
 * same bands: the storage probe and the ingest deadline sweep before reconciliation and the review queue.
 */
export const Priority = { urgent: 1, prompt: 2, routine: 3 } as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

/**
 * How a kind's jobs are queued and retried: BullMQ's own options, of which only the retries are required. What
 * is not said is filled in once (`withDefaults`): completed jobs kept a day (10 000 at most), failed ones kept
 * for `recorder jobs failed` (the dead letters).
 */
export type JobKindOptions = Pick<JobsOptions, "delay" | "removeOnComplete" | "removeOnFail"> & {
  attempts: number;
  backoff: { type: "exponential" | "fixed"; delay: number };
  priority?: Priority;
};

const DEFAULTS = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: false,
} satisfies JobsOptions;

/** One kind of job as producers and workers both know it (the contract; the work itself is in workers/jobs). */
export interface JobKind<N extends string = string, P = unknown> {
  readonly name: N;
  readonly queue: QueueName;
  /** BullMQ options with the defaults applied. */
  readonly options: Readonly<JobsOptions>;
  /**
   * The id a payload is queued under: the same payload gives the same id, so BullMQ keeps one job however often it
   * is queued (a redelivered event queues nothing new). Undefined: a fresh id for every job.
   */
  jobIdOf(payload: P): string | undefined;
  /**
   * A payload's own priority where the kind sets one per payload (else the options' priority, if any): a control
   * priority, or on the ingest queue a band after the ingest bands (chunk-peaks).
   */
  priorityOf(payload: P): number | undefined;
}

export type PayloadOfKind<K> = K extends JobKind<string, infer P> ? P : never;

interface JobKindSpec<N extends string, P> {
  name: N;
  queue: QueueName;
  options: JobKindOptions;
  /** The parts of the job's deterministic id (hashed: ACS ids hold characters BullMQ ids may not); none: fresh ids. */
  key?: (payload: P) => readonly string[] | undefined;
  /** An id used as it is, for a kind whose ids are handed out and looked up by the API (export ids). */
  id?: (payload: P) => string;
  /** A priority per payload, for the few payloads of a kind that may wait behind the others. */
  priority?: (payload: P) => number | undefined;
}

/**
 * Defines a job kind: `defineJobKind<Payload>()({ name, queue, options, key })`. Curried so that the payload type
 * is given while the name stays the literal it is written as.
 */
export function defineJobKind<P>() {
  return <const N extends string>(spec: JobKindSpec<N, P>): JobKind<N, P> => {
    const { key, id, priority } = spec;
    if (key && id) throw new Error(`job kind ${spec.name}: a key or an id, not both`);
    return {
      name: spec.name,
      queue: spec.queue,
      options: { ...DEFAULTS, ...spec.options },
      jobIdOf(payload) {
        if (id) return id(payload);
        const parts = key?.(payload);
        return parts ? jobIdFor(...parts) : undefined;
      },
      priorityOf: (payload) => priority?.(payload),
    };
  };
}
