import { classifyAcsError } from "../../src/acs/errors.js";
import type { PayloadOf } from "../../src/queues/index.js";
import { recordingStoppedAction } from "../../src/sessions/enforcement.js";
import type { WorkerDependencies } from "../dependencies.js";
import { rethrowAcsError } from "./acs-errors.js";
import { hangUpForEveryone, recordEnforcement } from "./enforcement.js";
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
  const enforcement = { serverCallId, trigger: "mid-call" as const, mode, reason: action.reason, context: log };
  switch (action.kind) {
    case "none":
      deps.logger.debug(log, "recording check: nothing to do");
      return;
    case "alert":
      await recordEnforcement(deps, { ...enforcement, action: "alert", message: "recording stopped during the call" });
      return;
    case "resume":
    case "restart":
      await deps.sessions.countRestart(serverCallId);
      await recordEnforcement(deps, {
        ...enforcement,
        action: action.kind,
        message: "recording stopped during the call: restoring it",
      });
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
      if (!(await hangUpForEveryone(deps, action.callConnectionId, log))) return;
      await recordEnforcement(deps, {
        ...enforcement,
        action: "hang-up",
        message: "call ended for everyone: recording stopped",
      });
      return;
  }
}
