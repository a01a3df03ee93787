import type { LedgerEntry } from "../../../src/ledger/index.js";
import { recordingsMissing } from "../../../src/metrics.js";
import { expectRecording, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";

/** A ledger gap is alerted once: the alert is itself an action on the call's ledger entry. */
export async function alertMissingRecording(
  deps: JobDependencies<"ledger">,
  entry: Pick<LedgerEntry, "serverCallId" | "correlationId" | "actions">,
  reason: string,
): Promise<boolean> {
  if (entry.actions?.some((action) => action.trigger === "after-call")) return false;
  recordingsMissing.inc();
  await deps.ledger.noteAction(entry.serverCallId, {
    at: new Date().toISOString(),
    trigger: "after-call",
    action: "alert",
    reason,
  });
  deps.logger.error(
    { serverCallId: entry.serverCallId, correlationId: entry.correlationId, alert: true, reason },
    "recording missing after the call",
  );
  return true;
}

/**
 * Some time after a call that owed a recording has ended: if the ledger still has it pending (no recording
 * archived, no failure on record), raise an alert now rather than wait for someone to run `ledger gaps`.
 */
async function perform(
  deps: JobDependencies<"ledger" | "recordingExpectedWithinMs">,
  { serverCallId, correlationId }: PayloadOf<"expect-recording">,
) {
  const entry = await deps.ledger.get(serverCallId);
  if (entry && entry.outcome !== "pending") return;
  const reason = `no recording ${Math.round(deps.recordingExpectedWithinMs / 1000)} s after the call ended`;
  await alertMissingRecording(deps, entry ?? { serverCallId, correlationId }, reason);
}

export const expectRecordingJob = defineJob(expectRecording, {
  needs: ["ledger", "recordingExpectedWithinMs"],
  perform,
});
