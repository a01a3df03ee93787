import type { CallSession, PauseState } from "./store.js";
import type { Decision, Enforcement } from "../policy/index.js";

type RecordDecision = Extract<Decision, { record: true }>;

/** A decision to record (mixed WAV by a required rule), with whatever a test needs changed. */
export function recordDecision(
  changes: Partial<Omit<RecordDecision, "record" | "enforcement">> & { enforcement?: Partial<Enforcement> } = {},
): Decision {
  const { enforcement, ...rest } = changes;
  return {
    record: true,
    mode: "required",
    recording: { content: "audio", channel: "mixed", format: "wav", pauseOnStart: false },
    explanation: "",
    teamId: "t",
    ruleId: "r",
    policyFile: "t.yaml",
    policyHash: "h",
    ...rest,
    ...(enforcement
      ? { enforcement: { startWithinSeconds: 10, onStartFailure: "alert", onStop: "alert", ...enforcement } }
      : {}),
  };
}

/** A decision not to record: nobody on the call is in a team. */
export const skipDecision: Decision = { record: false, reason: "no-team-member", explanation: "" };

/**
 * A call's session with nothing known yet (not started, not connected, nothing recorded, asked or announced), with
 * whatever a test is about put on top: every table states only the facts it is about.
 */
export const sessionOf = (facts: Partial<CallSession> = {}): CallSession => ({
  serverCallId: "call-1",
  correlationId: "corr-1",
  participants: [],
  caller: undefined,
  callee: undefined,
  startedAt: undefined,
  policySetHash: undefined,
  rang: false,
  started: false,
  ended: false,
  decision: undefined,
  callConnectionId: undefined,
  ownConnectionId: undefined,
  connectedConnections: [],
  recordingId: undefined,
  recordingState: undefined,
  recordings: {},
  recordingVersion: 0,
  factsVersion: 1,
  restarts: 0,
  pause: undefined,
  announcement: undefined,
  startedSeenAt: undefined,
  rangSeenAt: undefined,
  presence: [],
  stops: {},
  consentAsked: undefined,
  consentAnswer: undefined,
  ...facts,
});

/** Where a consent table's recording stands: none, starting, active as `id` (paused, or stopped on request). */
export interface RecordingAt {
  id?: string;
  starting?: boolean;
  pause?: PauseState;
  stopped?: boolean;
}

/** A call connected on `conn-1`, its recording as `recording` says, with the consent facts a row adds. */
export const connectedCallOf = (recording: RecordingAt, facts: Partial<CallSession> = {}): CallSession => {
  const { id } = recording;
  return sessionOf({
    started: true,
    callConnectionId: "conn-1",
    ownConnectionId: "conn-1",
    connectedConnections: ["conn-1"],
    recordingState: id ? "active" : undefined,
    recordings: id ? { [id]: { state: "active", at: 1, initial: false, failed: false, source: "event" } } : {},
    recordingId: id,
    stops:
      id && recording.stopped ? { [id]: { recordingId: id, trigger: "request", by: "x", reason: "x", at: "t" } } : {},
    pause: recording.pause,
    ...(recording.starting || id ? { startClaimed: true } : {}),
    ...facts,
  });
};
