import { defineJobKind, Priority } from "../kind.js";
import { QueueName } from "../names.js";

/** Periodic: is Blob storage answering? (the health view behind rejecting at IncomingCall) */
export const probeStorage = defineJobKind<Record<string, never>>()({
  name: "probe-storage",
  queue: QueueName.control,
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
  queue: QueueName.control,
  options: { attempts: 1, backoff: { type: "exponential", delay: 1_000 }, priority: Priority.routine },
});
