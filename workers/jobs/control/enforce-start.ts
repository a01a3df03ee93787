import { enforceStart, type PayloadOf } from "../../../src/queues/index.js";
import { startDeadlineAction, startFailedAction } from "../../../src/sessions/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { confirmRecordingState } from "./acs-recording-state.js";
import { hangUpForEveryone, recordEnforcement } from "./enforcement.js";

/**
 * Runs at a call's recording deadline — or at once when ACS reports StartRecordingFailed (`failedRecordingId`):
 * if the recording the decision requires is not in place, act as the policy says — end the call for everyone,
 * or raise an alert (an error log line with `alert: true`, and a metric). ACS will let an unrecorded call go
 * on; this is what stops it. A failed start is enforced once: by whichever of the two comes first.
 */
async function perform(
  deps: JobDependencies<"acs" | "sessions" | "ledger">,
  { serverCallId, correlationId, failedRecordingId }: PayloadOf<"enforce-start">,
) {
  let session = await deps.sessions.get(serverCallId);
  // State events arrive in any order: a late "inactive" may hide an active recording, so ask ACS (its answer is
  // stored: it repairs the session and the gauge).
  if (session.recordingId && session.recordingState !== "active") {
    const asked = { serverCallId, correlationId, recordingId: session.recordingId };
    ({ session } = await confirmRecordingState(deps, serverCallId, session.recordingId, asked, true));
  }
  const latestFailed = !!session.recordingId && !!session.recordings[session.recordingId]?.failed;
  const startFailed = failedRecordingId !== undefined;
  const action = startFailed
    ? startFailedAction(session, session.decision, failedRecordingId)
    : startDeadlineAction({ ...session, recordingFailed: latestFailed }, session.decision);
  if (action.kind !== "none" && (startFailed || latestFailed)) {
    // StartRecordingFailed and the deadline both see the same failed start: only the first acts on it.
    // Claimed in this job's name: BullMQ's retry of the same job (a hang-up that failed) may act again.
    const owner = startFailed ? `start-failed:${failedRecordingId}` : "deadline";
    if (!(await deps.sessions.claim(serverCallId, "enforce-start-failure", owner))) {
      deps.logger.debug({ serverCallId, correlationId }, "failed start already enforced");
      return;
    }
  }
  const context = { serverCallId, correlationId, recordingId: session.recordingId, reason: action.reason };
  if (action.kind === "none") {
    deps.logger.debug(context, "recording deadline met");
    return;
  }
  const mode = session.decision?.record ? session.decision.mode : "none";
  const trigger = startFailed ? ("start-failed" as const) : ("deadline" as const);
  const enforcement = { serverCallId, trigger, mode, reason: action.reason, context };
  if (action.kind === "alert") {
    await recordEnforcement(deps, { ...enforcement, action: "alert", message: "recording required but not in place" });
    return;
  }
  if (!(await hangUpForEveryone(deps, action.callConnectionId, context))) {
    deps.logger.info(context, "recording deadline: the call had already ended");
    return;
  }
  // The outcome first, then the action: whoever reads the ledger sees the action only on a failed call.
  await deps.ledger.record({
    serverCallId,
    outcome: "failed",
    reason: `${action.reason}: the call was ended for everyone`,
  });
  await recordEnforcement(deps, {
    ...enforcement,
    action: "hang-up",
    message: "call ended for everyone: recording not in place",
  });
}

export const enforceStartJob = defineJob(enforceStart, { needs: ["acs", "sessions", "ledger"], perform });
