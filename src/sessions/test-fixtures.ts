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
