import { classifyAcsError } from "../../src/acs/errors.js";
import type { PayloadOf } from "../../src/queues/index.js";
import { startDeadlineAction } from "../../src/sessions/enforcement.js";
import type { WorkerDependencies } from "../dependencies.js";
import { hangUpForEveryone, recordEnforcement } from "./enforcement.js";

/**
 * Runs at a call's recording deadline: if the recording the decision requires is not in place, act as the
 * policy says — end the call for everyone, or raise an alert (an error log line with `alert: true`, and a
 * metric). ACS will let an unrecorded call go on; this is what stops it.
 */
export async function perform(deps: WorkerDependencies, { serverCallId, correlationId }: PayloadOf<"enforce-start">) {
  const session = await deps.sessions.get(serverCallId);
  // State events arrive in any order: a late "inactive" may hide an active recording, so ask ACS.
  if (session.recordingId && session.recordingState !== "active") {
    try {
      const { recordingState } = await deps.acs.getCallRecording().getState(session.recordingId);
      session.recordingState = recordingState === "active" ? "active" : "inactive";
    } catch (error) {
      if (classifyAcsError(error).retry) throw error;
    }
  }
  const action = startDeadlineAction(session, session.decision);
  const context = { serverCallId, correlationId, recordingId: session.recordingId, reason: action.reason };
  if (action.kind === "none") {
    deps.logger.debug(context, "recording deadline met");
    return;
  }
  const mode = session.decision?.record ? session.decision.mode : "none";
  const enforcement = { serverCallId, trigger: "deadline" as const, mode, reason: action.reason, context };
  if (action.kind === "alert") {
    await recordEnforcement(deps, { ...enforcement, action: "alert", message: "recording required but not in place" });
    return;
  }
  if (!(await hangUpForEveryone(deps, action.callConnectionId, context))) {
    deps.logger.info(context, "recording deadline: the call had already ended");
    return;
  }
  // The outcome first, then the action: whoever reads the ledger sees the action only on a failed call.
  await deps.ledger?.record({
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
