import type { CallSession } from "../sessions/index.js";
import { CONSENT_PAUSE_BY, fallbackReason, isFurtherParty, type ConsentGate } from "./consent.js";
import type { PlannedJob } from "./plan.js";

/**
 * The once-per-call steps and jobs the consent gate makes due (docs/consent-flow.md): ask, play the notice, pause
 * the recording before a joiner is asked and resume it once everyone has consented, or act on no consent — before
 * any recording exists, the policy's action alone; with one, also stopping it (record-nothing). Pure.
 */
export function jobsOfConsent(gate: ConsentGate, session: CallSession): PlannedJob[] {
  const { serverCallId, callConnectionId } = session;
  const correlationId = session.correlationId ?? "";
  switch (gate.kind) {
    case "ask":
      if (!callConnectionId) return []; // the gate asks only once connected
      return [
        {
          // The first question is the call's `ask-consent`; each further party of an all-party consent has its own.
          step: isFurtherParty(gate.asked) ? `ask-consent:${gate.asked.target}` : "ask-consent",
          name: "ask-consent",
          payload: { serverCallId, correlationId, callConnectionId, asked: gate.asked },
          log: {
            level: "info",
            message: "consent required before recording: asking",
            fields: { target: gate.asked.target, decidedBy: gate.asked.decidedBy },
          },
        },
      ];
    case "notify":
      if (!callConnectionId) return [];
      return [
        {
          step: "announce",
          name: "play-announcement",
          payload: {
            serverCallId,
            correlationId,
            callConnectionId,
            announcement: gate.asked.announcement,
            notice: gate.asked,
          },
          log: {
            level: "info",
            message: "notice required before recording: announcing",
            fields: { decidedBy: gate.asked.decidedBy },
          },
        },
      ];
    case "pause":
      if (session.ended) return [];
      return [
        {
          // Once per party: a redelivery, or any order of events, pauses once for them.
          step: `consent-pause:${gate.party}`,
          name: "pause-recording",
          payload: {
            serverCallId,
            recordingId: gate.recordingId,
            by: CONSENT_PAUSE_BY,
            reason: gate.reason,
            autoResumeSeconds: null,
            forConsentOf: gate.party,
            correlationId,
          },
          log: {
            level: "warn",
            message: "consent outstanding while recording: pausing before asking",
            fields: { party: gate.party, recordingId: gate.recordingId },
          },
        },
      ];
    case "open":
      if (!gate.resume || session.ended) return [];
      return [
        {
          // Once per pause (its moment names it): the resume job resumes only if that pause still holds.
          step: `consent-resume:${gate.resume.pausedAt}`,
          name: "resume-recording",
          payload: {
            serverCallId,
            recordingId: gate.resume.recordingId,
            by: CONSENT_PAUSE_BY,
            pausedAt: gate.resume.pausedAt,
          },
          log: {
            level: "info",
            message: "everyone on the call has consented: resuming the recording",
            fields: { recordingId: gate.resume.recordingId, pausedAt: gate.resume.pausedAt },
          },
        },
      ];
    case "closed": {
      if (session.ended) return []; // nothing to end, and CallEnded's ledger entry says why
      const reason = fallbackReason(gate);
      const fallback: PlannedJob = {
        step: "consent-fallback",
        name: "consent-fallback",
        payload: {
          serverCallId,
          correlationId,
          ...(callConnectionId ? { callConnectionId } : {}),
          fallback: gate.fallback,
          reason,
          ...(gate.party !== undefined ? { party: gate.party } : {}),
          ...(gate.recordingId !== undefined ? { recordingId: gate.recordingId } : {}),
        },
        log: {
          level: "warn",
          message: gate.recordingId
            ? "no consent from a party who joined while recording"
            : gate.fallback === "record-our-side-only"
              ? "no consent: recording our side only"
              : "no consent: not recording",
          fields: { fallback: gate.fallback, reason: gate.reason, party: gate.party, recordingId: gate.recordingId },
        },
      };
      // record-nothing with a recording: it stops, and stays stopped for the rest of the call (a stop on request is
      // never restarted, src/calls/plan.ts scopeAction). end-call ends it with the call; record-our-side-only leaves
      // it paused for consent-fallback to decide.
      if (gate.recordingId === undefined || gate.fallback !== "record-nothing") return [fallback];
      const stop: PlannedJob = {
        step: `stop-recording:${gate.recordingId}`,
        name: "stop-recording",
        payload: {
          serverCallId,
          correlationId,
          recordingId: gate.recordingId,
          trigger: "request",
          by: `${CONSENT_PAUSE_BY}:${gate.party ?? "unknown"}`,
          reason,
        },
        log: {
          level: "warn",
          message: "no consent from a party who joined while recording: stopping the recording",
          fields: { party: gate.party, recordingId: gate.recordingId },
        },
      };
      return [stop, fallback];
    }
    default:
      return [];
  }
}
