import { classifyAcsError } from "../../../src/acs/index.js";
import { pauseRecording, resumeRecording, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

const needs = ["acs", "sessions", "queues", ...advanceNeeds] as const;

/**
 * Pauses recording on purpose: PCI (while a card number is read), or before a party who joined while recording is
 * asked for consent (`forConsentOf`, docs/consent-flow.md "Joiners once recording has started"). The pause is noted
 * before ACS is asked, so the recording's `inactive` state is not taken for a failure; an automatic resume is
 * scheduled when the policy sets a maximum.
 *
 * A pause for consent keeps a pause already on record (its redelivery's, or an operator's: the recording is paused
 * either way, and the consent resume resumes only its own), asks ACS all the same (a first attempt may have died
 * before ACS was asked), and then plans the call again: the joiner is asked only once ACS has paused.
 */
async function perform(deps: JobDependencies<(typeof needs)[number]>, payload: PayloadOf<"pause-recording">) {
  const { serverCallId, recordingId, by, reason, autoResumeSeconds, forConsentOf } = payload;
  const log = { serverCallId, correlationId: payload.correlationId, recordingId, by, reason };
  const held = forConsentOf !== undefined ? (await deps.sessions.get(serverCallId)).pause : undefined;
  const pause = held ?? { at: new Date().toISOString(), by, reason };
  if (!held) await deps.sessions.setPause(serverCallId, pause);
  try {
    await deps.acs.getCallRecording().pause(recordingId);
  } catch (error) {
    // A rerun of a consent pause ACS already applied may be refused as a second pause: what ACS answers to pausing a
    // paused recording is unconfirmed (no Microsoft page or recorded session). The pause on record stands, and the
    // joiner is asked; a failure worth retrying is retried.
    if (held && !classifyAcsError(error).retry)
      deps.logger.warn({ ...log, err: error }, "ACS refused to pause again a recording paused for consent: going on");
    else {
      if (!held) await deps.sessions.setPause(serverCallId, undefined);
      rethrowAcsError(error, deps.logger, log, "pause recording");
    }
  }
  if (forConsentOf !== undefined) {
    deps.logger.warn({ ...log, party: forConsentOf, pausedAt: pause.at }, "recording paused for a joiner's consent");
    await advance(deps, await deps.sessions.get(serverCallId), `consent-pause:${forConsentOf}`);
    return;
  }
  deps.logger.info({ ...log, autoResumeSeconds }, "recording paused on purpose");
  if (autoResumeSeconds !== null) {
    await deps.queues.enqueue(
      resumeRecording,
      { serverCallId, recordingId, by: "automatic resume", pausedAt: pause.at },
      { delayMs: autoResumeSeconds * 1000 },
    );
  }
}

export const pauseRecordingJob = defineJob(pauseRecording, { needs, perform });
