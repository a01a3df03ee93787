import type { Channel, AcsEvent } from "../../intake/index.js";
import type { Announcement, RecordingPlan } from "../../policy/index.js";
import type { ConsentAsked, ConsentFallback } from "../../sessions/index.js";
import { defineJobKind, Priority } from "../kind.js";
import { QueueName } from "../names.js";

/** The call a control job is about, as every log line of it names it. */
export interface CallRef {
  serverCallId: string;
  correlationId: string;
}

/** A step done once per call: its id is the call's and the step's (the step's once-per-call claim names it too). */
const step = (name: string) => (payload: { serverCallId: string }) => [payload.serverCallId, name];

/**
 * One event of a call, as the intake outbox relay queues it: its id is the delivery channel's and the event's, so
 * an event delivered again (ACS retries, or both channels) is one job.
 */
export const callEvent = defineJobKind<{ event: AcsEvent; receivedAt: string; channel: Channel }>()({
  name: "call-event",
  queue: QueueName.callEvents,
  options: { attempts: 10, backoff: { type: "exponential", delay: 500 } },
  key: (payload) => [payload.channel, payload.event.id],
  // Who is on the call (ParticipantsUpdated lists, on every connection, the first of them as our connect completes)
  // only matters for stopping a recording later: it waits behind the events on the way to starting one
  // (docs/performance.md "Time to record"). Every other event has none, and BullMQ serves those first.
  priority: (payload) =>
    payload.event.type === "Microsoft.Communication.ParticipantsUpdated" ? Priority.routine : undefined,
});

// Control runs first: a call waiting for its recording matters more than anything else.
export const connectCall = defineJobKind<CallRef>()({
  name: "connect-call",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.urgent },
  key: step("connect"),
});

/**
 * The ring watchdog. First try a little after IncomingCall (CallStarted usually comes first for ACS users), then
 * about once a second while the call rings (connect-ringing bounds it by its ring window). Its id is the one the
 * CallStarted that connects the call removes it by.
 */
export const connectRinging = defineJobKind<CallRef>()({
  name: "connect-ringing",
  queue: QueueName.control,
  options: { attempts: 120, backoff: { type: "fixed", delay: 1_000 }, delay: 1_500, priority: Priority.urgent },
  key: step("ring-watch"),
});

export interface StartRecordingPayload extends CallRef {
  callConnectionId: string;
  recording: RecordingPlan;
  /**
   * Which recording of the call this is, from the second on: a new one starts after a stop by scope when someone
   * in scope is back (docs/recording-control.md "Someone leaves mid-call"). Absent: the first.
   */
  generation?: number;
  /** When the call's CallStarted (or IncomingCall) reached the webhook: time-to-record is measured from it. */
  seenAt?: string;
  /** `consent`: the call waited for consent or a notice (docs/consent-flow.md); measured from the answer's arrival. */
  seenVia?: "call-started" | "incoming-call" | "consent";
}

export const startRecording = defineJobKind<StartRecordingPayload>()({
  name: "start-recording",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.urgent },
  // Named as its once-per-call claim: `start-recording`, then `start-recording:<n>` (src/calls/plan.ts scopeAction).
  key: (payload) => [
    payload.serverCallId,
    payload.generation && payload.generation > 1 ? `start-recording:${payload.generation}` : "start-recording",
  ],
});

export interface StopRecordingPayload extends CallRef {
  recordingId: string;
  /** `scope`: nobody in scope remains (by: "scope"); `request`: an operator asked (by: their name). */
  trigger: "scope" | "request";
  by: string;
  reason: string;
  /**
   * Who holds the recording's `stop-recording:<recordingId>` claim (the event that planned it, or the request): a
   * stop by scope no longer due when it runs gives the claim back, and a later claim's job must not be taken for
   * that one. Set by whoever queues it.
   */
  claimant?: string;
}

/** Stops one recording on purpose (docs/recording-control.md): once per recording and claimant. */
export const stopRecording = defineJobKind<StopRecordingPayload>()({
  name: "stop-recording",
  queue: QueueName.control,
  // Recording people no policy asks for is a privacy problem: as prompt as a pause.
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  key: (payload) => [payload.serverCallId, `stop-recording:${payload.recordingId}`, payload.claimant ?? ""],
});

/**
 * The presence sources disagree: ask ACS for the participant list on our connection, then decide again. Once per
 * number of observations known (`observations`), as its claim is named.
 */
export const confirmPresence = defineJobKind<CallRef & { callConnectionId: string; observations: number }>()({
  name: "confirm-presence",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  key: (payload) => [payload.serverCallId, `confirm-presence:${payload.observations}`],
});

/**
 * Refuses a ringing call that cannot be recorded, with the IncomingCall's context, which is not in the job: it
 * can answer the call, so it is kept apart briefly (src/sessions/ring-context.ts) and never logged. The call rings
 * for seconds only: a few quick retries (the context is deleted after the last).
 */
export const rejectCall = defineJobKind<CallRef & { reason: string }>()({
  name: "reject-call",
  queue: QueueName.control,
  options: {
    attempts: 3,
    backoff: { type: "exponential", delay: 250 },
    priority: Priority.urgent,
    removeOnComplete: true,
    removeOnFail: true,
  },
  key: step("reject"),
});

/**
 * The recording deadline, delayed to the policy's deadline when queued; retried only if hanging up fails. Queued
 * at once, with `failedRecordingId`, when ACS reports StartRecordingFailed ("" when the event named no recording):
 * then `startFailedOf` is what the job's id is made of (the recording, or the event when it named none).
 */
export type EnforceStartPayload = CallRef &
  ({ failedRecordingId?: undefined } | { failedRecordingId: string; startFailedOf: string });

export const enforceStart = defineJobKind<EnforceStartPayload>()({
  name: "enforce-start",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  key: (payload) =>
    payload.failedRecordingId === undefined
      ? [payload.serverCallId, "enforce-start"]
      : ["start-failed", payload.serverCallId, payload.startFailedOf],
});

export const playAnnouncement = defineJobKind<
  CallRef & {
    callConnectionId: string;
    announcement: Announcement;
    /** Set when this is the notice a jurisdiction requires before recording (put on record before it is played). */
    notice?: Omit<Extract<ConsentAsked, { requirement: "notice" }>, "at">;
    /** A later recording of the call, announced to everyone (its step: `announce:<recordingId>`). */
    recordingId?: string;
    /** The one party (raw id) it is played to, who joined after it was announced (its step: `announce-to:<raw id>`). */
    playTo?: string;
  }
>()({
  name: "play-announcement",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.routine },
  // Keyed as its claim is named (docs/recording-control.md "Announce"): one job per play.
  key: (payload) => [
    payload.serverCallId,
    payload.playTo !== undefined
      ? `announce-to:${payload.playTo}`
      : payload.recordingId !== undefined
        ? `announce:${payload.recordingId}`
        : "announce",
  ],
});

export interface PauseRecordingPayload {
  serverCallId: string;
  recordingId: string;
  by: string;
  reason: string;
  autoResumeSeconds: number | null;
  /**
   * A pause before a party (raw id) who joined while recording is asked for consent (docs/consent-flow.md): once per
   * party, named as its claim `consent-pause:<party>`, and the call is planned again once ACS has paused.
   */
  forConsentOf?: string;
  correlationId?: string;
}

/**
 * A pause an operator asked for (docs/recording-control.md): each request is a job of its own. A pause for consent
 * is once per party.
 */
export const pauseRecording = defineJobKind<PauseRecordingPayload>()({
  name: "pause-recording",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  key: (payload) =>
    payload.forConsentOf === undefined ? undefined : [payload.serverCallId, `consent-pause:${payload.forConsentOf}`],
});

/**
 * `pausedAt`: resume only if that pause still holds (the automatic resume, one per pause); absent: resume now (an
 * operator's request, a job of its own).
 */
export const resumeRecording = defineJobKind<{
  serverCallId: string;
  recordingId: string;
  by: string;
  pausedAt?: string;
}>()({
  name: "resume-recording",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  // The consent flow's resume of a pause has its own id: a PCI pause handed to the consent flow (a joiner asked
  // during it) keeps its moment, and its automatic resume, still queued, must not swallow the consent resume.
  key: (payload) =>
    payload.pausedAt === undefined
      ? undefined
      : [payload.by === "consent" ? "consent-resume" : "auto-resume", payload.serverCallId, payload.pausedAt],
});

/**
 * Queued a moment after a recording was seen inactive, to ask ACS before acting: one per state event (`eventId`,
 * the RecordingStateChanged that asked for it).
 */
export const checkRecording = defineJobKind<CallRef & { recordingId: string; eventId: string }>()({
  name: "check-recording",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  key: (payload) => ["check-recording", payload.eventId],
});

/** Delayed by RECORDING_EXPECTED_WITHIN_SECONDS after the call ends. */
export const expectRecording = defineJobKind<CallRef>()({
  name: "expect-recording",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 1_000 }, priority: Priority.routine },
  key: (payload) => ["expect-recording", payload.serverCallId],
});

/**
 * Asks the party whose jurisdiction requires consent (docs/consent-flow.md): the ask is put on record, then the prompt
 * is played and the answer recognized on their leg. Once per call.
 */
export const askConsent = defineJobKind<
  CallRef & { callConnectionId: string; asked: Omit<Extract<ConsentAsked, { requirement: "consent" }>, "at"> }
>()({
  name: "ask-consent",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.urgent },
  // One per party: the first question is the call's; a further party of an all-party consent (not first in
  // `parties`, or any asked after a notice) has its own.
  key: (payload) =>
    payload.asked.afterNotice !== undefined ||
    (payload.asked.parties && payload.asked.parties[0] !== payload.asked.target)
      ? [payload.serverCallId, "ask-consent", payload.asked.target]
      : [payload.serverCallId, "ask-consent"],
});

/**
 * Consent was refused, not given in time, or could not be asked: what the policy says happens then — end the call,
 * or put on record why nothing is recorded. Once per call.
 */
export const consentFallback = defineJobKind<
  CallRef & {
    callConnectionId?: string;
    fallback: ConsentFallback;
    reason: string;
    /**
     * Who refused or was silent (raw id), when the gate knows (all-party consent, joiners). Under
     * record-our-side-only, their channel is never archived.
     */
    party?: string;
    /** A recording that exists while consent is refused (a joiner's): left paused for this job to decide. */
    recordingId?: string;
  }
>()({
  name: "consent-fallback",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  key: step("consent-fallback"),
});

/**
 * The watchdog of a consent question or a notice: queued when the recognize is asked (or the notice played), delayed
 * past its timeout; at once when the notice could not be played at all. If ACS has sent no
 * answer by then (a lost callback), the question counts as failed and the policy's silence fallback applies. Once
 * per call.
 */
export const consentTimeout = defineJobKind<
  CallRef & {
    afterSeconds: number;
    /** Why the question or notice counts as failed when no answer is on record (default: no answer in time). */
    reason?: string;
    /** The further party of an all-party consent whose question this watches (absent: the first question). */
    party?: string;
  }
>()({
  name: "consent-timeout",
  queue: QueueName.control,
  options: { attempts: 5, backoff: { type: "exponential", delay: 500 }, priority: Priority.prompt },
  key: (payload) =>
    payload.party
      ? [payload.serverCallId, "consent-timeout", payload.party]
      : [payload.serverCallId, "consent-timeout"],
});
