import { classifyAcsError } from "../../src/acs/errors.js";
import { enforcementActions } from "../../src/metrics.js";
import type { PayloadOf } from "../../src/queues/index.js";
import { startDeadlineAction } from "../../src/sessions/enforcement.js";
import type { WorkerDependencies } from "../dependencies.js";
import { rethrowAcsError } from "./acs-errors.js";

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
  const note = (kind: "alert" | "hang-up") =>
    deps.ledger?.noteAction(serverCallId, {
      at: new Date().toISOString(),
      trigger: "deadline",
      action: kind,
      reason: action.reason,
    });
  if (action.kind === "alert") {
    enforcementActions.inc({ trigger: "deadline", action: "alert", mode });
    await note("alert");
    deps.logger.error({ ...context, alert: true, enforcement: "alert" }, "recording required but not in place");
    return;
  }
  try {
    await deps.acs.getCallConnection(action.callConnectionId).hangUp(true);
  } catch (error) {
    if (classifyAcsError(error).outcome === "call-gone") {
      deps.logger.info(context, "recording deadline: the call had already ended");
      return;
    }
    rethrowAcsError(error, deps.logger, context, "enforcement hang-up");
  }
  enforcementActions.inc({ trigger: "deadline", action: "hang-up", mode });
  await note("hang-up");
  await deps.ledger?.record({
    serverCallId,
    outcome: "failed",
    reason: `${action.reason}: the call was ended for everyone`,
  });
  deps.logger.error(
    { ...context, alert: true, enforcement: "hang-up" },
    "call ended for everyone: recording not in place",
  );
}
