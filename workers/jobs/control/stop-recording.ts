import { classifyAcsError } from "../../../src/acs/index.js";
import { recordingsStopped } from "../../../src/metrics.js";
import { scopeAction } from "../../../src/calls/index.js";
import { stopRecording, type PayloadOf } from "../../../src/queues/index.js";
import type { RecordingStop } from "../../../src/sessions/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

/** ACS to stop, the session and ledger to put it on record, and `advance` to start what a rejoin makes due. */
const needs = ["acs", "ledger", ...advanceNeeds] as const;

/**
 * Stops one recording on purpose: nobody in scope is left on the call (`scope`), or an operator asked (`request`,
 * allowed by src/calls/stop.ts `stopVerdict`). The stop is put on record in the session before ACS is asked, so
 * the `inactive` state that follows is not taken for a dropped recording (no onStop restart, alert or hang-up:
 * src/sessions/enforcement.ts); then in the ledger. ACS ends the recording's audio at the stop and publishes its
 * files (docs/acs-payloads.md "Participants"), which are archived like any other recording's.
 */
async function perform(deps: JobDependencies<(typeof needs)[number]>, payload: PayloadOf<"stop-recording">) {
  const { serverCallId, correlationId, recordingId, trigger, by, reason } = payload;
  const log = { serverCallId, correlationId, recordingId, trigger, by, reason };
  const session = await deps.sessions.get(serverCallId);
  // Someone in scope may have come back since the stop was planned: then it is no longer due. The step is given
  // back, so the next leave can stop this recording after all.
  if (trigger === "scope" && !session.stops[recordingId]) {
    const due = session.decision ? scopeAction(session, session.decision) : undefined;
    if (due?.kind !== "stop" || due.job.step !== `stop-recording:${recordingId}`) {
      await deps.sessions.release(serverCallId, `stop-recording:${recordingId}`);
      deps.logger.info({ ...log, now: due?.reason }, "stop by scope no longer due: recording goes on");
      return;
    }
  }
  const stop: RecordingStop = session.stops[recordingId] ?? {
    recordingId,
    trigger,
    by,
    reason,
    at: new Date().toISOString(),
  };
  await deps.sessions.recordStop(serverCallId, stop);
  try {
    await deps.acs.getCallRecording().stop(recordingId);
  } catch (error) {
    // The call or the recording is gone already: there is nothing left to stop, and the stop stands.
    const meaning = classifyAcsError(error);
    if (meaning.outcome !== "call-gone") {
      // Not stopped: the recording goes on and must be watched as any other; given up for good, the step is
      // given back too, so that a new request (or the next leave) can try again.
      await deps.sessions.forgetStop(serverCallId, recordingId);
      if (!meaning.retry) await deps.sessions.release(serverCallId, `stop-recording:${recordingId}`);
      rethrowAcsError(error, deps.logger, log, "stop recording");
    }
    if (trigger === "scope") {
      // The recording ended by itself (with the call, most likely, whose CallEnded was slower than the settling
      // wait): that is no stop on purpose, and nothing says otherwise.
      await deps.sessions.forgetStop(serverCallId, recordingId);
      deps.logger.info(log, "stop by scope: the recording had already ended; no stop on record");
      return;
    }
    deps.logger.info(log, "stop recording: ACS no longer knows the call or the recording");
  }
  // A stopped recording is paused no more: its automatic resume, if one is waiting, finds no pause and does nothing.
  if (session.pause) await deps.sessions.setPause(serverCallId, undefined);
  await deps.ledger.noteStop(serverCallId, stop);
  recordingsStopped.inc({ trigger });
  deps.logger.info({ ...log, at: stop.at }, "recording stopped on purpose");
  // Whoever came back while it was being stopped gets a new recording now (a scope stop only: src/calls/plan.ts).
  await advance(deps, await deps.sessions.get(serverCallId), `stop:${recordingId}`);
}

export const stopRecordingJob = defineJob(stopRecording, { needs, perform });
