import { defineJobKind, Priority, type JobKindOptions } from "../kind.js";
import { QueueName } from "../names.js";

/** A periodic job whose next run does what this one could not: one try, the last hundred runs kept. */
const ONE_TRY_PER_RUN = {
  attempts: 1,
  backoff: { type: "exponential", delay: 1_000 },
  priority: Priority.routine,
  removeOnComplete: { count: 100 },
  removeOnFail: { count: 100 },
} satisfies JobKindOptions;

/** Periodic: is Blob storage answering? (the health view behind rejecting at IncomingCall) */
export const probeStorage = defineJobKind<Record<string, never>>()({
  name: "probe-storage",
  queue: QueueName.operations,
  options: {
    attempts: 1,
    backoff: { type: "exponential", delay: 1_000 },
    priority: Priority.prompt,
    removeOnComplete: true,
    removeOnFail: { count: 100 },
  },
});

/** Periodic: every ledger gap of the last two days gets an alert, once. */
export const sweepGaps = defineJobKind<Record<string, never>>()({
  name: "sweep-gaps",
  queue: QueueName.operations,
  options: { attempts: 1, backoff: { type: "exponential", delay: 1_000 }, priority: Priority.routine },
});

/**
 * Periodic: a signed checkpoint of the ledger and audit chains' heads, written to immutable storage
 * (docs/evidence.md "Checkpoints"). One attempt: the next run covers what this one could not.
 */
export const checkpointEvidence = defineJobKind<Record<string, never>>()({
  name: "checkpoint-evidence",
  queue: QueueName.operations,
  options: ONE_TRY_PER_RUN,
});

/**
 * Periodic: ACS's own call logs reconciled against the ledger and the archive (docs/reconciliation.md); calls
 * incomplete or never seen are alerted. One attempt: the next run looks at the same window again.
 */
export const reconcileCalls = defineJobKind<Record<string, never>>()({
  name: "reconcile-calls",
  queue: QueueName.operations,
  options: ONE_TRY_PER_RUN,
});
