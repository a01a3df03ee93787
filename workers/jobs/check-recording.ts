import { classifyAcsError } from "../../src/acs/errors.js";
import { enforcementActions } from "../../src/metrics.js";
import type { PayloadOf } from "../../src/queues/index.js";
import { recordingStoppedAction } from "../../src/sessions/enforcement.js";
import type { WorkerDependencies } from "../dependencies.js";
import { rethrowAcsError } from "./acs-errors.js";
import { perform as startRecording } from "./start-recording.js";

/** How long after an `inactive` RecordingStateChanged the state is checked with ACS (events come unordered). */
export const CHECK_DELAY_MS = 2_000;

/**
 * A recording was reported inactive during the call. Because state events arrive in any order (reference
 * §3.3), ACS is asked for the recording's state first; only a recording still not active is acted on, as
 * the policy's onStop says: resume or restart it, end the call, or alert.
 * A pause made on purpose (PCI, through the API) is not a stop.
 */
export async function perform(deps: WorkerDependencies, payload: PayloadOf<"check-recording">) {
  const { serverCallId, correlationId } = payload;
  const session = await deps.sessions.get(serverCallId);
  const recordingId = session.recordingId ?? payload.recordingId;
  const context = { serverCallId, correlationId, recordingId };
  let acsState: "active" | "inactive" | "missing";
  try {
    acsState =
      (await deps.acs.getCallRecording().getState(recordingId)).recordingState === "active" ? "active" : "inactive";
  } catch (error) {
    if (classifyAcsError(error).outcome !== "call-gone")
      rethrowAcsError(error, deps.logger, context, "recording state");
    acsState = "missing";
  }
  const action = recordingStoppedAction(session, session.decision, acsState, session.restarts);
  const mode = session.decision?.record ? session.decision.mode : "none";
  const log = { ...context, acsState, reason: action.reason };
  const note = (kind: "alert" | "hang-up" | "resume" | "restart") =>
    deps.ledger?.noteAction(serverCallId, {
      at: new Date().toISOString(),
      trigger: "mid-call",
      action: kind,
      reason: action.reason,
    });
  switch (action.kind) {
    case "none":
      deps.logger.debug(log, "recording check: nothing to do");
      return;
    case "alert":
      enforcementActions.inc({ trigger: "mid-call", action: "alert", mode });
      await note("alert");
      deps.logger.error({ ...log, alert: true, enforcement: "alert" }, "recording stopped during the call");
      return;
    case "resume":
    case "restart":
      await deps.sessions.countRestart(serverCallId);
      enforcementActions.inc({ trigger: "mid-call", action: action.kind, mode });
      await note(action.kind);
      deps.logger.warn({ ...log, enforcement: action.kind }, "recording stopped during the call: restoring it");
      if (action.kind === "resume") {
        try {
          await deps.acs.getCallRecording().resume(action.recordingId);
        } catch (error) {
          rethrowAcsError(error, deps.logger, log, "resume recording");
        }
      } else if (session.decision?.record && session.callConnectionId) {
        await startRecording(deps, {
          serverCallId,
          correlationId,
          callConnectionId: session.callConnectionId,
          recording: session.decision.recording,
        });
      }
      return;
    case "hang-up":
      try {
        await deps.acs.getCallConnection(action.callConnectionId).hangUp(true);
      } catch (error) {
        if (classifyAcsError(error).outcome === "call-gone") return;
        rethrowAcsError(error, deps.logger, log, "enforcement hang-up");
      }
      enforcementActions.inc({ trigger: "mid-call", action: "hang-up", mode });
      await note("hang-up");
      deps.logger.error({ ...log, alert: true, enforcement: "hang-up" }, "call ended for everyone: recording stopped");
      return;
  }
}
