import type { OnceStep } from "../sessions/index.js";
import type { PayloadOf } from "../queues/index.js";
import type { CallSession } from "../sessions/index.js";

/**
 * Whether a stop on request may happen (docs/policies.md "Stopping on request"). As with `pauseVerdict`, `team`
 * is whose call it is, for a recorded call: the access rules must accept the requester for that team before the
 * verdict is told, so another team's call is answered 404 exactly like an unknown one.
 */
export type StopVerdict = { team?: string } & (
  | { allowed: true; step: OnceStep; job: { name: "stop-recording"; payload: PayloadOf<"stop-recording"> } }
  | { allowed: false; status: 403 | 404 | 409; message: string }
);

/**
 * Decides a stop asked by `by` (an operator's name) for `reason` (a reason code): a call not being recorded is
 * no call to stop (404); a `required` recording is never stopped on request, and otherwise the team's policy
 * must allow stopping for that reason (403, saying why); there must be a recording still running on a call that
 * goes on (409). The stop is once per recording: `step` is what the API claims before queueing the job. Pure,
 * tested by a table; the API (src/http/calls-api.ts) answers and audits what it says.
 */
export function stopVerdict(
  session: Pick<CallSession, "serverCallId" | "correlationId" | "decision" | "recordingId" | "ended" | "stops">,
  request: { by: string; reason: string },
): StopVerdict {
  const { serverCallId, decision, recordingId } = session;
  if (!decision?.record) return { allowed: false, status: 404, message: "no such call" };
  const team = decision.teamId;
  const refused = (status: 403 | 409, message: string): StopVerdict => ({ team, allowed: false, status, message });
  if (decision.mode === "required")
    return refused(
      403,
      `the recording is required (team ${team}, rule ${decision.ruleId}): a required recording cannot be stopped on request`,
    );
  if (!decision.stop?.allowed) return refused(403, `the policy of team ${team} does not allow stopping`);
  if (!decision.stop.reasons.includes(request.reason))
    return refused(
      403,
      `reason ${request.reason} is not one the policy of team ${team} accepts: ${decision.stop.reasons.join(", ")}`,
    );
  if (!recordingId) return refused(409, "the call has no recording yet");
  if (session.ended) return refused(409, "the call has ended");
  const stopped = session.stops[recordingId];
  if (stopped) return refused(409, `the recording is already stopped (by ${stopped.by}: ${stopped.reason})`);
  return {
    team,
    allowed: true,
    step: `stop-recording:${recordingId}`,
    job: {
      name: "stop-recording",
      payload: {
        serverCallId,
        correlationId: session.correlationId ?? "",
        recordingId,
        trigger: "request",
        by: request.by,
        reason: request.reason,
      },
    },
  };
}
