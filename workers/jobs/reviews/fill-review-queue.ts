import { fillReviewQueue } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";

/**
 * Periodic (REVIEW_QUEUE_EVERY_SECONDS): each team's recordings archived since the last run, not yet considered,
 * go through the team's sampling rules (its scorecard file); those selected join its review queue, assigned to
 * the listed reviewer with the fewest open items (docs/reviews.md "The queue").
 */
async function perform(deps: JobDependencies<"fillReviewQueue">) {
  const { considered, added, busy } = await deps.fillReviewQueue();
  // A team another run is filling (e.g. a run queued on the old queue during an upgrade) is left to it.
  deps.logger.info(
    { considered, added: added.length, teams: [...new Set(added.map((i) => i.team))], busy },
    "review queue filled",
  );
  return { considered, added: added.map((i) => ({ team: i.team, recordingId: i.recordingId, reasons: i.reasons })) };
}

export const fillReviewQueueJob = defineJob(fillReviewQueue, {
  needs: ["fillReviewQueue"],
  perform,
  schedule: { everyMs: (deps) => deps.fillReviewQueueEveryMs, payload: {} },
});
