import { pauseRecording, resumeRecording, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

/**
 * Pauses recording on purpose (PCI: while a card number is read). The pause is noted before ACS is asked, so
 * the recording's `inactive` state is not taken for a failure; an automatic resume is scheduled when the
 * policy sets a maximum.
 */
async function perform(deps: JobDependencies<"acs" | "sessions" | "queues">, payload: PayloadOf<"pause-recording">) {
  const { serverCallId, recordingId, by, reason, autoResumeSeconds } = payload;
  const pause = { at: new Date().toISOString(), by, reason };
  await deps.sessions.setPause(serverCallId, pause);
  try {
    await deps.acs.getCallRecording().pause(recordingId);
  } catch (error) {
    await deps.sessions.setPause(serverCallId, undefined);
    rethrowAcsError(error, deps.logger, { serverCallId, recordingId, by, reason }, "pause recording");
  }
  deps.logger.info({ serverCallId, recordingId, by, reason, autoResumeSeconds }, "recording paused on purpose");
  if (autoResumeSeconds !== null) {
    await deps.queues.enqueue(
      resumeRecording,
      { serverCallId, recordingId, by: "automatic resume", pausedAt: pause.at },
      { delayMs: autoResumeSeconds * 1000 },
    );
  }
}

export const pauseRecordingJob = defineJob(pauseRecording, { needs: ["acs", "sessions", "queues"], perform });
