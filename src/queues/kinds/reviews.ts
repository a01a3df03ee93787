import { defineJobKind, Priority } from "../kind.js";
import { QueueName } from "../names.js";

/**
 * Periodic: the QA review queue filled from recordings archived since the last run, by each team's sampling rules
 * (docs/reviews.md "The queue"). One attempt: the next run considers whatever this one did not.
 */
export const fillReviewQueue = defineJobKind<Record<string, never>>()({
  name: "fill-review-queue",
  queue: QueueName.operations,
  options: {
    attempts: 1,
    backoff: { type: "exponential", delay: 1_000 },
    priority: Priority.routine,
    removeOnComplete: { count: 100 },
    removeOnFail: { count: 100 },
  },
});
