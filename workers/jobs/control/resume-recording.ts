import { resumeRecording, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

/** Resumes a paused recording: on an operator's request, or automatically when the pause has lasted its maximum. */
async function perform(deps: JobDependencies<"acs" | "sessions">, payload: PayloadOf<"resume-recording">) {
  const { serverCallId, recordingId, by, pausedAt } = payload;
  const session = await deps.sessions.get(serverCallId);
  // An automatic resume belongs to one pause: if that pause already ended (or another began), it does nothing.
  if (pausedAt !== undefined && session.pause?.at !== pausedAt) return;
  try {
    await deps.acs.getCallRecording().resume(session.recordingId ?? recordingId);
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, recordingId, by }, "resume recording");
  }
  await deps.sessions.setPause(serverCallId, undefined);
  deps.logger.info({ serverCallId, recordingId, by, pausedFor: session.pause?.at }, "recording resumed");
}

export const resumeRecordingJob = defineJob(resumeRecording, { needs: ["acs", "sessions"], perform });
