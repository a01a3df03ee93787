import type { Announcement, CallConsent, Decision } from "../policy/index.js";
import { microsOf, type CallSession, type OnceStep } from "../sessions/index.js";
import { consentOf } from "./consent.js";
import type { PlannedJob } from "./plan.js";
import { scopeVerdict, type PresenceObservation } from "./scope.js";

// Who hears the recording announcement, beyond the first play to everyone (docs/recording-control.md "Announce"):
// every later recording of the call (after a stop by scope) is announced to everyone again, and everyone who was not
// on the call when a recording was announced hears it on their own leg once they are. Pure: the same facts, in any
// order and delivered any number of times, give the same steps; each step is claimed once per call.

/** The operationContext of the first recording's play to everyone, as it always was. */
export const ANNOUNCEMENT_CONTEXT = "recording-announcement";

/** The operationContext of a play: the first recording's is unchanged; every other names its step after it. */
export function announcementContextOf(step: AnnouncementStep): string {
  return step === "announce" ? ANNOUNCEMENT_CONTEXT : `${ANNOUNCEMENT_CONTEXT}:${step}`;
}

export type AnnouncementStep = Extract<OnceStep, "announce" | `announce:${string}` | `announce-to:${string}`>;

/** The step a PlayCompleted / PlayFailed's operationContext names, if it is one of our announcement plays. */
export function announcementStepOf(operationContext: string | undefined): AnnouncementStep | undefined {
  if (operationContext === ANNOUNCEMENT_CONTEXT) return "announce";
  if (!operationContext?.startsWith(`${ANNOUNCEMENT_CONTEXT}:`)) return undefined;
  const step = operationContext.slice(ANNOUNCEMENT_CONTEXT.length + 1);
  if (step.startsWith("announce:") && step.length > "announce:".length) return step as `announce:${string}`;
  if (step.startsWith("announce-to:") && step.length > "announce-to:".length) return step as `announce-to:${string}`;
  return undefined;
}

/**
 * The play to everyone that announces the call's current recording: `announce` for the first, `announce:<id>` for a
 * recording started after a stop by scope (the first recording keeps `announce`, as sessions already in Redis have it).
 */
export function toEveryoneStepOf(session: Pick<CallSession, "stops">, recordingId: string): AnnouncementStep {
  const restarted = Object.values(session.stops).some((s) => s.trigger === "scope" && s.recordingId !== recordingId);
  return restarted ? `announce:${recordingId}` : "announce";
}

/** Who was on the call at `at` (ISO 8601), from what ACS had said by then (each observation carries its own time). */
export function presentAt(observations: readonly PresenceObservation[], at: string): Set<string> {
  const moment = microsOf(at) ?? Number.POSITIVE_INFINITY;
  const before = observations.filter((o) => (microsOf(o.at) ?? Number.NEGATIVE_INFINITY) <= moment);
  return new Set(scopeVerdict({ observations: before, until: "call-end", inScope: [] }).present);
}

/**
 * Who is on the call now, as far as the sources agree: people only. `28:` raw ids are apps and bots
 * (docs/acs-payloads.md "Identifiers"), who hear nothing; whether a list names our own connection is unconfirmed.
 */
function presentNow(observations: readonly PresenceObservation[]): string[] {
  return scopeVerdict({ observations, until: "call-end", inScope: [] }).present.filter((p) => !p.startsWith("28:"));
}

/**
 * What a joiner is told on their own leg, if anything (docs/consent-flow.md "A notice-only joiner"): on a call whose
 * notice was played, that notice — the words everyone else heard; on a call without consent or notice, the policy's
 * announcement. A call that asks consent tells joiners by asking them (the consent flow's), and a notice not played
 * yet will tell everyone on the call when it is.
 */
function toldJoiners(
  session: CallSession,
  announcement: Announcement | undefined,
  consent: CallConsent | undefined,
): Announcement | undefined {
  const { asked, answer } = consentOf(session);
  if (asked?.requirement === "consent" || consent?.requirement === "consent") return undefined;
  if (asked?.requirement === "notice") return answer?.outcome === "notified" ? asked.announcement : undefined;
  return consent?.requirement === "notice" ? undefined : announcement;
}

/**
 * The announcement plays a recorded call needs beyond its first `announce` (which `dueActions` plans, unchanged):
 * a later recording's play to everyone once it is active, and a play to each person on the call who was there at no
 * play to everyone of any recording (a joiner), once the current recording's play to everyone has been asked of ACS
 * (until then it is for them too). A person who was told once (to everyone or alone) is not told again on their
 * own; a new recording is told to everyone. A joiner hears the notice everyone heard where one was played
 * (`toldJoiners`); where consent is asked, the consent flow asks them instead.
 */
export function announcementJobs(session: CallSession, decision: Decision, consent?: CallConsent): PlannedJob[] {
  if (!decision.record) return [];
  const { serverCallId, callConnectionId, recordingId } = session;
  if (!callConnectionId || !recordingId || session.ended) return [];
  if (session.recordingState !== "active" || session.recordings[recordingId]?.state !== "active") return [];
  // A recording stopped on purpose is not announced (its stop is on its way).
  if (session.stops[recordingId]) return [];
  const correlationId = session.correlationId ?? "";
  const { announcement } = decision;
  const jobs: PlannedJob[] = [];
  const current = toEveryoneStepOf(session, recordingId);
  if (current !== "announce" && announcement)
    jobs.push({
      step: current,
      name: "play-announcement",
      payload: { serverCallId, correlationId, callConnectionId, announcement, recordingId },
      log: { level: "info", message: "a new recording of the call: announcing it again", fields: { recordingId } },
    });
  const toJoiners = toldJoiners(session, announcement, consent);
  if (!toJoiners) return jobs;
  const plays = session.announcements ?? {};
  // Until the current recording's play to everyone is asked, it is the one that tells whoever is on the call.
  if (!plays[current]?.requestedAt) return jobs;
  const toEveryone = Object.entries(plays).flatMap(([step, play]) =>
    play.to === undefined && play.requestedAt && !step.startsWith("announce-to:") ? [play.requestedAt] : [],
  );
  const told = new Set(toEveryone.flatMap((at) => [...presentAt(session.presence, at)]));
  for (const party of presentNow(session.presence)) {
    if (told.has(party)) continue;
    const step: AnnouncementStep = `announce-to:${party}`;
    if (plays[step]) continue; // already asked of ACS: its claim is held; nothing to plan again
    jobs.push({
      step,
      name: "play-announcement",
      payload: { serverCallId, correlationId, callConnectionId, announcement: toJoiners, playTo: party },
      log: {
        level: "info",
        message: "joined after the recording was announced: announcing it to them",
        fields: { party, recordingId },
      },
    });
  }
  return jobs;
}
