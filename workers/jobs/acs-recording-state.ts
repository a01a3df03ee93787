import { classifyAcsError } from "../../src/acs/errors.js";
import type { CallSession } from "../../src/sessions/index.js";
import type { WorkerDependencies } from "../dependencies.js";
import { rethrowAcsError } from "./acs-errors.js";

/**
 * Asks ACS for a recording's state and stores its answer: ACS is the oracle, so its answer repairs the
 * recording's stored state and the recordings_active gauge whatever the events said. `missing`: ACS no longer
 * knows the recording (stopped, or its start failed). A retryable failure is thrown for BullMQ to retry.
 */
export async function confirmRecordingState(
  deps: WorkerDependencies,
  serverCallId: string,
  recordingId: string,
  context: Record<string, unknown>,
): Promise<{ acsState: "active" | "inactive" | "missing"; session: CallSession }> {
  let acsState: "active" | "inactive" | "missing";
  try {
    acsState =
      (await deps.acs.getCallRecording().getState(recordingId)).recordingState === "active" ? "active" : "inactive";
  } catch (error) {
    if (classifyAcsError(error).outcome !== "call-gone")
      rethrowAcsError(error, deps.logger, context, "recording state");
    acsState = "missing";
  }
  const { outcome, session } = await deps.sessions.updateRecording(serverCallId, recordingId, {
    kind: "acs",
    state: acsState,
    at: Date.now() * 1000,
  });
  if (outcome.changed) {
    deps.logger.info(
      { ...context, acsState, callRecordingState: session.recordingState },
      "recording state confirmed with ACS",
    );
  }
  return { acsState, session };
}
