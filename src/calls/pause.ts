import type { PayloadOf } from "../queues/index.js";
import type { CallSession } from "../sessions/index.js";
import { CONSENT_PAUSE_BY, consentOutstanding } from "./consent.js";

export type PauseOperation = "pause" | "resume";

/** The job an accepted pause or resume queues, typed by its kind. */
export type PauseJob =
  | { name: "pause-recording"; payload: PayloadOf<"pause-recording"> }
  | { name: "resume-recording"; payload: PayloadOf<"resume-recording"> };

/**
 * Whether a PCI pause or resume may happen (docs/recordings-api.md). `team`: whose call it is, when it is a
 * recorded call; the access rules must accept the requester for that team *before* the verdict is told, so that
 * another team's call is answered 404 exactly like an unknown one and nothing else leaks.
 */
export type PauseVerdict = { team?: string } & (
  | {
      allowed: true;
      job: PauseJob;
      /**
       * A resume while someone's consent is outstanding: accepted, but the recording stays paused until everyone has
       * consented (the pause becomes the consent flow's; docs/consent-flow.md "A joiner during an operator's pause").
       */
      heldForConsentOf?: string;
    }
  | { allowed: false; status: 403 | 404 | 409; message: string }
);

/**
 * Decides a pause or resume asked by `by` (an operator's name) for `reason` (a reason code): a call not being
 * recorded is no call to pause (404); the team's policy must allow pausing (403); there must be a recording, the
 * call must go on, and a pause cannot be paused again nor a recording resumed that is not paused (409). Pure,
 * tested by a table; the API (src/http/calls-api.ts) answers and audits what it says.
 */
export function pauseVerdict(
  operation: PauseOperation,
  session: Pick<CallSession, "serverCallId" | "decision" | "recordingId" | "ended" | "pause"> &
    Partial<Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties">>,
  request: { by: string; reason: string },
): PauseVerdict {
  const { serverCallId, decision, recordingId } = session;
  if (!decision?.record) return { allowed: false, status: 404, message: "no such call" };
  const team = decision.teamId;
  const refused = (status: 403 | 409, message: string): PauseVerdict => ({ team, allowed: false, status, message });
  if (!decision.pause?.allowed) return refused(403, `the policy of team ${team} does not allow pausing`);
  if (!recordingId) return refused(409, "the call has no recording yet");
  if (session.ended) return refused(409, "the call has ended");
  if (operation === "pause") {
    if (session.pause) return refused(409, `already paused by ${session.pause.by}`);
    const { autoResumeSeconds } = decision.pause;
    return {
      team,
      allowed: true,
      job: {
        name: "pause-recording",
        payload: { serverCallId, recordingId, by: request.by, reason: request.reason, autoResumeSeconds },
      },
    };
  }
  if (!session.pause) return refused(409, "the recording is not paused");
  // Held for a party's consent (docs/consent-flow.md "Joiners once recording has started"): only their consent
  // resumes it, never an operator, whose resume would record them before they consented.
  if (session.pause.by === CONSENT_PAUSE_BY)
    return refused(409, "paused until everyone on the call has consented to recording");
  // Someone asked during this pause has not consented yet: resuming now would record them. The resume job hands the
  // pause to the consent flow instead, which resumes it once everyone has consented (or applies the fallback).
  const outstanding = consentOutstanding({
    consentAsked: session.consentAsked,
    consentAnswer: session.consentAnswer,
    consentParties: session.consentParties,
  });
  return {
    team,
    allowed: true,
    job: { name: "resume-recording", payload: { serverCallId, recordingId, by: request.by } },
    ...(outstanding !== undefined ? { heldForConsentOf: outstanding } : {}),
  };
}
