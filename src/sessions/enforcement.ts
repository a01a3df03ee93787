import type { Decision } from "../policy/types.js";
import type { CallSession } from "./store.js";

/** What to do when a call's recording deadline passes. */
export type DeadlineAction =
  | { kind: "none"; reason: string }
  | { kind: "hang-up"; reason: string; callConnectionId: string }
  | { kind: "alert"; reason: string };

/** Seconds allowed for recording to start when a decision carries no enforcement (docs/policies.md defaults). */
export const DEFAULT_START_WITHIN_SECONDS = 15;

type SessionFacts = Pick<CallSession, "ended" | "recordingState" | "recordingId" | "callConnectionId">;

/**
 * At the deadline: is the call recorded as its decision requires, and if not, what does the policy say?
 * Pure, so every combination is tested by a table. A recording started paused (pauseOnStart) counts as in place.
 * "reject" can only act while the call rings (at IncomingCall); at the deadline the call is established, so
 * the closest action that keeps the policy's intent — the call does not go on unrecorded — is to hang up.
 * Without our call connection there is nothing to hang up with: the only action left is an alert.
 */
export function startDeadlineAction(session: SessionFacts, decision: Decision | undefined): DeadlineAction {
  if (!decision?.record) return { kind: "none", reason: "the call is not to be recorded" };
  if (session.ended) return { kind: "none", reason: "the call has ended" };
  if (session.recordingState === "active") return { kind: "none", reason: "recording is active" };
  if (session.recordingId && decision.recording.pauseOnStart) {
    return { kind: "none", reason: "recording started paused, as the policy asks" };
  }
  const missing = session.recordingId
    ? "recording is not active"
    : session.callConnectionId
      ? "recording did not start"
      : "could not connect to the call";
  const onFailure = decision.mode === "best-effort" ? "alert" : (decision.enforcement?.onStartFailure ?? "alert");
  if (onFailure === "alert") return { kind: "alert", reason: `${missing} in time (${decision.mode})` };
  if (!session.callConnectionId) {
    return {
      kind: "alert",
      reason: `${missing} in time; policy says ${onFailure}, but without a call connection only an alert is possible`,
    };
  }
  return {
    kind: "hang-up",
    reason: `${missing} in time; policy says ${onFailure}`,
    callConnectionId: session.callConnectionId,
  };
}
