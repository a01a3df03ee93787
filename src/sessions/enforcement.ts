import type { HealthVerdict } from "../health/index.js";
import type { Decision } from "../policy/index.js";
import type { CallSession } from "./store.js";

/** What to do when a call's recording deadline passes. */
export type DeadlineAction =
  | { kind: "none"; reason: string }
  | { kind: "hang-up"; reason: string; callConnectionId: string }
  | { kind: "alert"; reason: string };

/** Seconds allowed for recording to start when a decision carries no enforcement (docs/policies.md defaults). */
export const DEFAULT_START_WITHIN_SECONDS = 15;

type SessionFacts = Pick<CallSession, "ended" | "recordingState" | "recordingId" | "callConnectionId"> & {
  /** ACS reported the start of the call's latest recording failed (StartRecordingFailed). */
  recordingFailed?: boolean;
} & Partial<Pick<CallSession, "stops">>;

/** The stop on purpose of the call's latest recording, if it was stopped so (scope or request). */
const stoppedOnPurpose = (session: Pick<CallSession, "recordingId"> & Partial<Pick<CallSession, "stops">>) =>
  session.recordingId ? session.stops?.[session.recordingId] : undefined;

/** Why a stop on purpose is no failure, for the enforcement's "none". */
const stopReason = (stop: NonNullable<ReturnType<typeof stoppedOnPurpose>>) =>
  stop.trigger === "scope"
    ? `stopped on purpose: nobody in scope is on the call (${stop.reason})`
    : `stopped on purpose by ${stop.by} (${stop.reason})`;

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
  // The recording was in place, then stopped on purpose (someone in scope left before the deadline): no failure.
  const stop = stoppedOnPurpose(session);
  if (stop && !session.recordingFailed) return { kind: "none", reason: stopReason(stop) };
  if (session.recordingId && !session.recordingFailed && decision.recording.pauseOnStart) {
    return { kind: "none", reason: "recording started paused, as the policy asks" };
  }
  const missing = session.recordingFailed
    ? "recording failed to start (StartRecordingFailed)"
    : session.recordingId
      ? "recording is not active in time"
      : session.callConnectionId
        ? "recording did not start in time"
        : "could not connect to the call in time";
  const onFailure = decision.mode === "best-effort" ? "alert" : (decision.enforcement?.onStartFailure ?? "alert");
  if (onFailure === "alert") return { kind: "alert", reason: `${missing} (${decision.mode})` };
  if (!session.callConnectionId) {
    return {
      kind: "alert",
      reason: `${missing}; policy says ${onFailure}, but without a call connection only an alert is possible`,
    };
  }
  return {
    kind: "hang-up",
    reason: `${missing}; policy says ${onFailure}`,
    callConnectionId: session.callConnectionId,
  };
}

/**
 * ACS reported StartRecordingFailed for `failedRecordingId` ("" when it named none): a failed start, under the
 * policy's enforcement as at the deadline — unless a later recording of the call replaced it (that one has its
 * own deadline) or one is active. Pure, tested by a table.
 */
export function startFailedAction(
  session: Omit<SessionFacts, "recordingFailed"> & Pick<CallSession, "recordings">,
  decision: Decision | undefined,
  failedRecordingId: string,
): DeadlineAction {
  if (failedRecordingId && session.recordingId && session.recordingId !== failedRecordingId) {
    return { kind: "none", reason: "a later recording replaced the one that failed to start" };
  }
  return startDeadlineAction({ ...session, recordingFailed: true }, decision);
}

/** What to do when recording was seen inactive during the call and ACS confirms it is still not active. */
export type StopAction =
  | { kind: "none"; reason: string }
  | { kind: "resume"; reason: string; recordingId: string }
  | { kind: "restart"; reason: string }
  | { kind: "hang-up"; reason: string; callConnectionId: string }
  | { kind: "alert"; reason: string };

/** Restarts of one call's recording before it is treated as failing for good (then: alert). */
export const MAX_RESTARTS = 3;

/**
 * Decides on a recording found not active mid-call. A recording stopped on purpose (src/calls/plan.ts
 * `scopeAction`, a stop on request) is left stopped. `acsState` is what ACS reports for our recording now
 * (`missing` when it no longer knows it). Pure and tested by a table, like the deadline.
 */
export function recordingStoppedAction(
  session: Pick<CallSession, "ended" | "callConnectionId" | "recordingId"> &
    Partial<Pick<CallSession, "pause" | "stops">>,
  decision: Decision | undefined,
  acsState: "active" | "inactive" | "missing",
  restartsSoFar: number,
): StopAction {
  if (!decision?.record) return { kind: "none", reason: "the call is not to be recorded" };
  if (session.ended) return { kind: "none", reason: "the call has ended" };
  if (acsState === "active") return { kind: "none", reason: "recording is active again" };
  // A stop on purpose (scope or request) is never a dropped recording: no restart, no alert, no hang-up.
  const stop = stoppedOnPurpose(session);
  if (stop) return { kind: "none", reason: stopReason(stop) };
  if (session.pause && acsState === "inactive") {
    return { kind: "none", reason: `paused on purpose by ${session.pause.by} (${session.pause.reason})` };
  }
  const onStop = decision.mode === "best-effort" ? "alert" : (decision.enforcement?.onStop ?? "alert");
  if (onStop === "alert") return { kind: "alert", reason: `recording stopped during the call (${decision.mode})` };
  if (onStop === "restart") {
    if (restartsSoFar >= MAX_RESTARTS)
      return { kind: "alert", reason: `recording keeps stopping: ${restartsSoFar} restarts already` };
    // A recording ACS still knows is only inactive (paused): resume it; a recording it no longer knows: start anew.
    if (acsState === "inactive" && session.recordingId) {
      return {
        kind: "resume",
        reason: "recording stopped during the call; resuming it",
        recordingId: session.recordingId,
      };
    }
    return { kind: "restart", reason: "recording stopped during the call; starting a new one" };
  }
  if (!session.callConnectionId)
    return { kind: "alert", reason: "recording stopped; policy says hang up, but there is no call connection" };
  return {
    kind: "hang-up",
    reason: "recording stopped during the call; policy says hang up",
    callConnectionId: session.callConnectionId,
  };
}

/** What to do with a call while it rings, before anyone answers it. */
export type RingAction = { kind: "none"; reason: string } | { kind: "reject"; reason: string };

/** Only a required rule whose `onStartFailure` is `reject` refuses calls; for any other, health is not asked. */
export function rejectsUnrecordableCalls(decision: Decision | undefined): boolean {
  return !!decision?.record && decision.mode === "required" && decision.enforcement?.onStartFailure === "reject";
}

/**
 * At IncomingCall: when the policy says `reject` and the system already knows it cannot record (storage or ACS
 * unhealthy), refuse the call while it still rings rather than let it go on unrecorded. Once answered it is
 * too late to reject: the recording deadline (hang up) applies instead. Pure, tested by a table.
 */
export function incomingCallAction(
  session: Pick<CallSession, "rang" | "started" | "ended" | "callConnectionId">,
  decision: Decision | undefined,
  health: HealthVerdict,
): RingAction {
  if (!rejectsUnrecordableCalls(decision)) return { kind: "none", reason: "the policy does not reject calls" };
  if (!session.rang) return { kind: "none", reason: "the call was never seen ringing" };
  if (session.started || session.callConnectionId) return { kind: "none", reason: "the call is already answered" };
  if (session.ended) return { kind: "none", reason: "the call has ended" };
  if (health.canRecord) return { kind: "none", reason: "recording is possible" };
  return { kind: "reject", reason: `recording impossible: ${health.problems.join("; ")}` };
}
