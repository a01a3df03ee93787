import { classifyAcsError } from "../../../src/acs/index.js";
import type { CallSession } from "../../../src/sessions/index.js";
import type { JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

/**
 * Asks ACS for a recording's state and stores its answer: ACS is the oracle, so its answer repairs the
 * recording's stored state and the recordings_active gauge whatever the events said. `missing`: ACS no longer
 * knows the recording (stopped, or its start failed). A retryable failure is thrown for BullMQ to retry; any
 * other ends the job (rethrowAcsError) — unless `orKeep`, when the stored state is used as it is (`acsState`
 * undefined): the recording deadline must still act when ACS cannot tell.
 */
export async function confirmRecordingState(
  deps: JobDependencies<"acs" | "sessions">,
  serverCallId: string,
  recordingId: string,
  context: Record<string, unknown>,
  orKeep = false,
): Promise<{ acsState: "active" | "inactive" | "missing" | undefined; session: CallSession }> {
  let acsState: "active" | "inactive" | "missing";
  try {
    acsState =
      (await deps.acs.getCallRecording().getState(recordingId)).recordingState === "active" ? "active" : "inactive";
  } catch (error) {
    const meaning = classifyAcsError(error);
    if (meaning.outcome === "call-gone") acsState = "missing";
    else if (orKeep && !meaning.retry) {
      deps.logger.warn({ ...context, reason: meaning.description }, "recording state: ACS could not tell");
      return { acsState: undefined, session: await deps.sessions.get(serverCallId) };
    } else rethrowAcsError(error, deps.logger, context, "recording state");
  }
  const { session } = await deps.sessions.updateRecording(serverCallId, recordingId, {
    kind: "acs",
    state: acsState,
    at: Date.now() * 1000,
  });
  deps.logger.info({ ...context, acsState, callRecordingState: session.recordingState }, "recording state from ACS");
  return { acsState, session };
}
