import { checkRecording, type PayloadOf } from "../../../src/queues/index.js";
import { recordingStoppedAction } from "../../../src/sessions/index.js";
import type { JobContext } from "../../dependencies.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { confirmRecordingState } from "./acs-recording-state.js";
import { hangUpForEveryone, recordEnforcement } from "./enforcement.js";
import { startRecordingJob } from "./start-recording.js";

/** How long after a state event that needs it the state is checked with ACS (events come unordered). */
export const CHECK_DELAY_MS = 2_000;

/**
 * A recording was reported inactive during the call, or its state events disagree. Because state events arrive
 * in any order (docs/acs-payloads.md "State events and connections"), ACS is asked for the recording's state,
 * and its answer is stored whatever it is (it repairs the session and the recordings_active gauge). Only when the
 * call's latest recording is then still not active is it acted on, as the policy's onStop says: resume or restart
 * it, end the call, or alert. A pause made on purpose (PCI, through the API) is not a stop.
 */
const needs = ["acs", "sessions", "ledger", ...startRecordingJob.needs] as const;

async function perform(
  deps: JobDependencies<(typeof needs)[number]>,
  payload: PayloadOf<"check-recording">,
  job: JobContext,
) {
  const { serverCallId, correlationId, recordingId } = payload;
  const context = { serverCallId, correlationId, recordingId };
  const confirmed = await confirmRecordingState(deps, serverCallId, recordingId, context);
  const { session } = confirmed;
  const acsState = confirmed.acsState ?? "inactive"; // always answered here: a failure to tell was thrown
  // An earlier recording of the call (a restart replaced it) is expected to be inactive: the latest one decides.
  if (session.recordingId && session.recordingId !== recordingId) {
    deps.logger.debug({ ...context, latest: session.recordingId }, "recording check: not the call's latest recording");
    return;
  }
  if (session.recordingState === "active") {
    deps.logger.debug({ ...context, acsState }, "recording check: the call is recording");
    return;
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
        await startRecordingJob.perform(
          deps,
          {
            serverCallId,
            correlationId,
            callConnectionId: session.callConnectionId,
            recording: session.decision.recording,
          },
          job,
        );
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

export const checkRecordingJob = defineJob(checkRecording, { needs, perform });
