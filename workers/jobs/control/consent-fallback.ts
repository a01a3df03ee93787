import { CONSENT_PAUSE_BY, hasRecording, ourSideOnlyPlan, unarchivedPartiesOf } from "../../../src/calls/index.js";
import { enforcementActions } from "../../../src/metrics.js";
import { consentFallback, type PayloadOf } from "../../../src/queues/index.js";
import type { CallSession } from "../../../src/sessions/index.js";
import type { JobContext } from "../../dependencies.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { hangUpForEveryone } from "./enforcement.js";
import { startRecordingJob } from "./start-recording.js";

const needs = ["acs", "ledger", "sessions", "correlation", "callbackUri"] as const;
type Deps = JobDependencies<(typeof needs)[number]>;
type Payload = PayloadOf<"consent-fallback">;

/**
 * Consent was refused, not given in time, or could not be asked; or the notice could not be played (docs/consent-flow.md).
 * Nothing was recorded (recording never started). What the policy says happens then:
 * - `end-call`: the call is ended for everyone;
 * - `record-nothing`: the call goes on unrecorded, and the ledger says why at once;
 * - `record-our-side-only`: the parties who did not consent are put on record as never to be archived, then the call
 *   is recorded unmixed in ACS's storage and ingest keeps only our members' channels (recordOurSideOnly).
 */
async function perform(deps: Deps, payload: Payload, run: JobContext) {
  const { serverCallId, correlationId, callConnectionId, fallback, reason, party, recordingId } = payload;
  // A joiner's refusal names them and the recording they joined (left paused for this job to decide).
  const context = { serverCallId, correlationId, fallback, reason, party, recordingId };
  const at = () => new Date().toISOString();
  switch (fallback) {
    case "end-call": {
      if (!callConnectionId) {
        await deps.ledger.noteAction(serverCallId, { at: at(), trigger: "consent", action: "alert", reason });
        deps.logger.error(
          { ...context, alert: true },
          "no consent: the policy ends the call, but there is no connection to end it with",
        );
        return;
      }
      const ended = await hangUpForEveryone(deps, callConnectionId, context);
      await deps.ledger.noteAction(serverCallId, { at: at(), trigger: "consent", action: "hang-up", reason });
      enforcementActions.inc({ trigger: "consent", action: "hang-up", mode: "required" });
      deps.logger.warn(
        { ...context, ended },
        ended ? "no consent: call ended" : "no consent: the call had already ended",
      );
      return;
    }
    case "record-nothing":
      await deps.ledger.noteAction(serverCallId, { at: at(), trigger: "consent", action: "record-nothing", reason });
      deps.logger.info(context, "no consent: the call goes on unrecorded");
      return;
    case "record-our-side-only":
      return recordOurSideOnly(deps, payload, run);
  }
}

/**
 * Our side only (docs/consent-flow.md "Our side only"). First, durably, who must never be archived (the strip set:
 * keep-first per party, so it only grows) — before any recording exists, so no chunk can be ingested without it.
 * Then, with no recording yet (recording starts only after consent): start one — unmixed, our members first, in ACS's
 * storage whatever the team's `storage:` says — through start-recording itself, under its once-per-call claim. With a
 * recording already running (a joiner who refused while it was paused for their answer): resume it.
 */
async function recordOurSideOnly(deps: Deps, payload: Payload, run: JobContext) {
  const { serverCallId, correlationId, callConnectionId, reason } = payload;
  const { party } = payload;
  const log = { serverCallId, correlationId, fallback: payload.fallback, reason, ...(party ? { party } : {}) };
  const at = new Date().toISOString();
  const session = await deps.sessions.get(serverCallId);
  const decision = session.decision;
  const parties = unarchivedPartiesOf(session, party, at);
  const plan = decision ? ourSideOnlyPlan(decision, Object.keys(parties)) : undefined;
  if (!plan || Object.keys(parties).length === 0) {
    // Lint refuses such a rule (docs/consent.md "Lint"): a stored decision of an older policy, or no refuser on record.
    await deps.ledger.noteAction(serverCallId, { at, trigger: "consent", action: "alert", reason });
    enforcementActions.inc({ trigger: "consent", action: "alert", mode: "required" });
    deps.logger.error(
      { ...log, alert: true, channel: decision?.record ? decision.recording.channel : undefined },
      plan
        ? "no consent: record-our-side-only, but nobody is on record as refusing: nothing recorded"
        : "no consent: record-our-side-only needs an unmixed WAV audio recording: nothing recorded",
    );
    return;
  }
  const after = await deps.sessions.addUnarchivedParties(serverCallId, parties);
  deps.logger.warn({ ...log, unarchived: Object.keys(parties) }, "no consent: recording our side only");
  if (hasRecording(after)) return resumeForOurSide(deps, after, log);
  if (!callConnectionId) {
    await deps.ledger.noteAction(serverCallId, { at, trigger: "consent", action: "alert", reason });
    deps.logger.error({ ...log, alert: true }, "no consent: our side only, but there is no connection to record with");
    return;
  }
  // Claimed with an owner: this job's retry (a start ACS refused for now) may claim it again (store.ts `claim`).
  if (!(await deps.sessions.claim(serverCallId, "start-recording", OUR_SIDE_START_OWNER))) {
    // Someone else claimed the start (the window of docs/consent-flow.md "Limits"): once its recording is known, it is
    // resumed if paused; until then, retried.
    const now = await deps.sessions.get(serverCallId);
    if (hasRecording(now)) return resumeForOurSide(deps, now, log);
    throw new Error("recording start claimed elsewhere, its recording not known yet: retried");
  }
  await startRecordingJob.perform(deps, { serverCallId, correlationId, callConnectionId, recording: plan }, run);
  await deps.ledger.noteAction(serverCallId, { at, trigger: "consent", action: "record-our-side-only", reason });
  enforcementActions.inc({
    trigger: "consent",
    action: "record-our-side-only",
    mode: decision?.record ? decision.mode : "required",
  });
}

/** The owner of the start-recording claim this job makes: the same on every attempt. */
export const OUR_SIDE_START_OWNER = "consent-fallback:record-our-side-only";

/**
 * A recording exists: the new parties are on record as unarchived; a pause held for their consent is lifted (their
 * channel is dropped at ingest). A pause on purpose for anything else (PCI) is left alone.
 */
async function resumeForOurSide(deps: Deps, session: CallSession, log: Record<string, unknown>) {
  const { serverCallId } = session;
  const recordingId = session.recordingId;
  const pause = session.pause;
  // The consent flow's pause (src/calls/consent.ts CONSENT_PAUSE_BY); never an operator's.
  const forConsent = pause?.by === CONSENT_PAUSE_BY;
  if (recordingId && forConsent) {
    try {
      await deps.acs.getCallRecording().resume(recordingId);
    } catch (error) {
      rethrowAcsError(error, deps.logger, { serverCallId, recordingId }, "resume recording");
    }
    await deps.sessions.setPause(serverCallId, undefined);
  }
  await deps.ledger.noteAction(serverCallId, {
    at: new Date().toISOString(),
    trigger: "consent",
    action: "record-our-side-only",
    reason: String(log.reason ?? ""),
  });
  deps.logger.info({ ...log, recordingId, resumed: forConsent }, "no consent: the recording goes on, our side only");
}

export const consentFallbackJob = defineJob(consentFallback, { needs, perform });
