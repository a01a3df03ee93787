import { sweepGaps } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { alertMissingRecording } from "../control/expect-recording.js";

/** How far back the sweep looks (ACS keeps recordings 24 h; twice that covers late events). */
const LOOKBACK_MS = 48 * 3600 * 1000;

/**
 * Periodic completeness check: every call in the ledger that should have a recording and does not — failed,
 * or still pending past the expected time — is alerted, once per call.
 */
async function perform(
  deps: JobDependencies<"ledger" | "recordingExpectedWithinMs">,
): Promise<{ gaps: number; alerted: number }> {
  const now = new Date();
  const gaps = await deps.ledger.gaps(new Date(now.getTime() - LOOKBACK_MS), now, deps.recordingExpectedWithinMs);
  let alerted = 0;
  for (const gap of gaps) {
    const reason =
      gap.outcome === "failed"
        ? `recording failed: ${gap.reason ?? "no reason recorded"}`
        : "no recording after the call";
    if (await alertMissingRecording(deps, gap, reason)) alerted += 1;
  }
  return { gaps: gaps.length, alerted };
}

export const sweepGapsJob = defineJob(sweepGaps, {
  needs: ["ledger", "recordingExpectedWithinMs"],
  perform,
  schedule: { everyMs: (deps) => deps.gapSweepEveryMs, payload: {} },
});
