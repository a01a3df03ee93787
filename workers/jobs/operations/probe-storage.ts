import { dependencyUp } from "../../../src/metrics.js";
import { probeStorage } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";

/** A failing probe keeps storage down this many intervals: a missed probe or two does not flip it back. */
const DOWN_FOR_INTERVALS = 3;

/**
 * Periodic (one BullMQ job scheduler across replicas): asks Blob storage whether it answers, and keeps the
 * answer in the shared health view, so that a call that could not be archived can be refused while it rings.
 */
async function perform(deps: JobDependencies<"probeStorage" | "health" | "healthSettings">): Promise<{ up: boolean }> {
  try {
    await deps.probeStorage();
  } catch (error) {
    const reason = `probe failed: ${(error as Error)?.message ?? String(error)}`.slice(0, 300);
    dependencyUp.set({ component: "storage" }, 0);
    const ttl = deps.healthSettings.probeEveryMs * DOWN_FOR_INTERVALS;
    if (await deps.health.markDown("storage", reason, ttl))
      deps.logger.error({ alert: true, component: "storage", reason }, "ALERT Blob storage unreachable");
    return { up: false };
  }
  dependencyUp.set({ component: "storage" }, 1);
  if (await deps.health.markUp("storage")) deps.logger.warn({ component: "storage" }, "Blob storage answers again");
  return { up: true };
}

export const probeStorageJob = defineJob(probeStorage, {
  needs: ["probeStorage", "health", "healthSettings"],
  perform,
  schedule: { everyMs: (deps) => deps.healthSettings.probeEveryMs, payload: {} },
});
