import { recordingsMissing } from "../../src/metrics.js";
import type { PayloadOf } from "../../src/queues/index.js";
import type { WorkerDependencies } from "../dependencies.js";

/**
 * Some time after a call that owed a recording has ended: if the ledger still has it pending (no recording
 * archived, no failure on record), raise an alert now rather than wait for someone to run `ledger gaps`.
 */
export async function perform(
  deps: WorkerDependencies,
  { serverCallId, correlationId }: PayloadOf<"expect-recording">,
) {
  const entry = await deps.ledger?.get(serverCallId);
  if (entry && entry.outcome !== "pending") return;
  const reason = `no recording ${Math.round(deps.recordingExpectedWithinMs / 1000)} s after the call ended`;
  recordingsMissing.inc();
  await deps.ledger?.noteAction(serverCallId, {
    at: new Date().toISOString(),
    trigger: "after-call",
    action: "alert",
    reason,
  });
  deps.logger.error({ serverCallId, correlationId, alert: true, reason }, "recording missing after the call");
}
