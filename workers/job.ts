import type { Component } from "../src/health/index.js";
import type { Logger } from "../src/log.js";
import type { AnyJobKind, PayloadOfKind } from "../src/queues/index.js";
import type { JobContext, WorkerDependencies } from "./dependencies.js";

/** A dependency a job may declare; every job gets the runner's logger besides (it carries the call's ids). */
export type Dependency = Exclude<keyof WorkerDependencies, "logger">;

/** What a job that declared `D` is given: exactly those dependencies and its logger. */
export type JobDependencies<D extends Dependency> = Pick<WorkerDependencies, D | "logger">;

/** The work of one job kind (its contract — payload, queue, options, id — is `kind`, in src/queues/kinds). */
export interface WorkerJob<K extends AnyJobKind = AnyJobKind, D extends Dependency = Dependency, R = unknown> {
  readonly kind: K;
  /** The dependencies `perform` (and `onExhausted`) may use; the runner passes these and no others. */
  readonly needs: readonly D[];
  /** The job's work; what it returns is kept as the job's result (BullMQ returnvalue). */
  perform(deps: JobDependencies<D>, payload: PayloadOfKind<K>, context: JobContext): Promise<R>;
  /** After the last attempt failed (or one failed for good): what the call's record must say about it. */
  onExhausted?(deps: JobDependencies<D>, payload: PayloadOfKind<K>, error: Error): Promise<void>;
  /** A periodic kind: one BullMQ job scheduler across all replicas, every `everyMs` of the configuration. */
  readonly schedule?: { everyMs(deps: WorkerDependencies): number; payload: PayloadOfKind<K> };
  /** The dependency a success shows answering (the job made requests to it on the way): the health view notes it. */
  readonly proves?: Component;
  /**
   * Runs before the call can have a recording (on the way to starting it): the log context takes the payload's
   * ids and looks up nothing more in the session. Default: a call's job may look up its recording id once.
   */
  readonly beforeRecording?: boolean | ((payload: PayloadOfKind<K>) => boolean);
}

/**
 * Defines the work of a job kind: `defineJob(kind, { needs: [...] as const, perform, ... })`. `perform`'s
 * dependencies are typed from `needs`, so a job uses nothing it did not declare — and a job that calls another's
 * `perform` must declare the union of both.
 */
export function defineJob<K extends AnyJobKind, const D extends Dependency = never, R = unknown>(
  kind: K,
  spec: Omit<WorkerJob<K, D, R>, "kind">,
): WorkerJob<K, D, R> {
  return { kind, ...spec };
}

/** The dependencies a job declared, and its logger: built anew per job, so nothing else is reachable from it. */
export function dependenciesOf<D extends Dependency>(
  deps: WorkerDependencies,
  needs: readonly D[],
  logger: Logger,
): JobDependencies<D> {
  const picked: Partial<WorkerDependencies> = { logger };
  for (const need of needs) Object.assign(picked, { [need]: deps[need] });
  return picked as JobDependencies<D>;
}

/** Whether a job of this definition runs before its call can have a recording (see `beforeRecording`). */
export function runsBeforeRecording(job: WorkerJob, payload: unknown): boolean {
  const { beforeRecording } = job;
  return typeof beforeRecording === "function"
    ? (beforeRecording as (payload: unknown) => boolean)(payload)
    : !!beforeRecording;
}
