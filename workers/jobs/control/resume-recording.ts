import { CONSENT_PAUSE_BY, consentOutstanding } from "../../../src/calls/index.js";
import { resumeRecording, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

const needs = ["acs", "sessions", ...advanceNeeds] as const;

/**
 * Resumes a paused recording: on an operator's request, automatically when the pause has lasted its maximum, or
 * (`by: consent`) once everyone on the call has consented.
 *
 * An operator's or automatic resume while someone asked has not consented (a joiner asked during a PCI pause) does
 * not resume: the pause becomes the consent flow's (same moment, `by: consent`), which resumes it on their consent
 * or applies the policy's fallback (docs/consent-flow.md "A joiner during an operator's pause"). The call is then
 * planned again, so that a consent that arrived meanwhile resumes it at once.
 */
async function perform(deps: JobDependencies<(typeof needs)[number]>, payload: PayloadOf<"resume-recording">) {
  const { serverCallId, recordingId, by, pausedAt } = payload;
  const session = await deps.sessions.get(serverCallId);
  const log = { serverCallId, correlationId: session.correlationId, recordingId, by };
  // An automatic resume belongs to one pause: if that pause already ended (or another began), it does nothing.
  if (pausedAt !== undefined && session.pause?.at !== pausedAt) return;
  // Only the consent flow resumes its own pause (a handed-over one included).
  if (by !== CONSENT_PAUSE_BY && session.pause?.by === CONSENT_PAUSE_BY) {
    deps.logger.info({ ...log, pausedAt: session.pause?.at }, "resume left to the consent flow: paused for consent");
    // A rerun of a hand-over that died before planning the call again plans it now (a consent planned before the
    // hand-over found an operator's pause, which it does not resume). Planning again is idempotent (claims).
    await advance(deps, session, `resume-held:${serverCallId}:${session.pause?.at ?? ""}`);
    return;
  }
  const outstanding = by !== CONSENT_PAUSE_BY && session.pause ? consentOutstanding(session) : undefined;
  if (session.pause && outstanding !== undefined) {
    const held = {
      at: session.pause.at,
      by: CONSENT_PAUSE_BY,
      reason: `${session.pause.reason}; resume by ${by} held until ${outstanding} has consented`,
    };
    await deps.sessions.setPause(serverCallId, held);
    deps.logger.warn(
      { ...log, party: outstanding, pausedAt: held.at, pausedBy: session.pause.by },
      "resume held: someone's consent is outstanding, the pause is now the consent flow's",
    );
    await advance(deps, await deps.sessions.get(serverCallId), `resume-held:${serverCallId}:${held.at}`);
    return;
  }
  try {
    await deps.acs.getCallRecording().resume(session.recordingId ?? recordingId);
  } catch (error) {
    rethrowAcsError(error, deps.logger, log, "resume recording");
  }
  await deps.sessions.setPause(serverCallId, undefined);
  deps.logger.info({ ...log, pausedFor: session.pause?.at }, "recording resumed");
}

export const resumeRecordingJob = defineJob(resumeRecording, { needs, perform });
