import type { AnyJobKind, PayloadOfKind } from "../../src/queues/index.js";
import type { JobContext, WorkerDependencies } from "../../workers/dependencies.js";
import { dependenciesOf, type Dependency, type WorkerJob } from "../../workers/job.js";

/**
 * Runs a job's `perform` as the runner does (workers/run.ts): given only the dependencies it declared, so a test
 * whose fakes hold more still fails if the job reaches for something it did not declare. First attempt unless told.
 */
export function runJob<K extends AnyJobKind, D extends Dependency, R>(
  job: WorkerJob<K, D, R>,
  deps: WorkerDependencies,
  payload: PayloadOfKind<K>,
  context: Partial<JobContext> = {},
): Promise<R> {
  return job.perform(dependenciesOf(deps, job.needs, deps.logger), payload, {
    attempt: 1,
    progress: async () => undefined,
    ...context,
  });
}
