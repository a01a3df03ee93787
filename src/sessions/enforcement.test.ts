import { describe, expect, it } from "vitest";
import type { Decision } from "../policy/types.js";
import { startDeadlineAction } from "./enforcement.js";

const recordDecision = (
  mode: "required" | "best-effort",
  onStartFailure: "reject" | "hang-up" | "alert",
  pauseOnStart = false,
): Decision => ({
  record: true,
  mode,
  recording: { content: "audio", channel: "mixed", format: "wav", pauseOnStart },
  enforcement: { startWithinSeconds: 10, onStartFailure, onStop: "alert" },
  explanation: "",
  teamId: "t",
  ruleId: "r",
  policyFile: "t.yaml",
  policyHash: "h",
});
const skip: Decision = { record: false, reason: "no-team-member", explanation: "" };
const session = (
  facts: Partial<{
    ended: boolean;
    recordingState: "active" | "inactive";
    recordingId: string;
    callConnectionId: string;
  }>,
) => ({
  ended: false,
  recordingState: undefined,
  recordingId: undefined,
  callConnectionId: undefined,
  ...facts,
});

describe("startDeadlineAction", () => {
  it.each([
    ["not to be recorded", session({}), skip, "none"],
    ["no decision yet", session({}), undefined, "none"],
    ["the call ended", session({ ended: true }), recordDecision("required", "hang-up"), "none"],
    [
      "recording active",
      session({ callConnectionId: "c", recordingId: "r", recordingState: "active" }),
      recordDecision("required", "hang-up"),
      "none",
    ],
    [
      "started paused as asked",
      session({ callConnectionId: "c", recordingId: "r", recordingState: "inactive" }),
      recordDecision("required", "hang-up", true),
      "none",
    ],
    [
      "inactive, not asked to pause",
      session({ callConnectionId: "c", recordingId: "r", recordingState: "inactive" }),
      recordDecision("required", "hang-up"),
      "hang-up",
    ],
    [
      "start never happened, hang-up",
      session({ callConnectionId: "c" }),
      recordDecision("required", "hang-up"),
      "hang-up",
    ],
    [
      "start never happened, reject → hang-up once established",
      session({ callConnectionId: "c" }),
      recordDecision("required", "reject"),
      "hang-up",
    ],
    ["start never happened, alert", session({ callConnectionId: "c" }), recordDecision("required", "alert"), "alert"],
    ["no connection: cannot hang up, alert", session({}), recordDecision("required", "hang-up"), "alert"],
    [
      "best-effort never hangs up",
      session({ callConnectionId: "c" }),
      recordDecision("best-effort", "hang-up"),
      "alert",
    ],
  ] as const)("%s → %s", (_name, facts, decision, kind) => {
    const action = startDeadlineAction(facts, decision);
    expect(action.kind).toBe(kind);
    expect(action.reason.length).toBeGreaterThan(5);
    if (action.kind === "hang-up") expect(action.callConnectionId).toBe("c");
  });
});
