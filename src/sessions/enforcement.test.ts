import { describe, expect, it } from "vitest";
import type { HealthVerdict } from "../health/index.js";
import type { Decision } from "../policy/types.js";
import {
  MAX_RESTARTS,
  incomingCallAction,
  recordingStoppedAction,
  startDeadlineAction,
  startFailedAction,
} from "./enforcement.js";
import { recordDecision, skipDecision as skip } from "./test-fixtures.js";

const decision = (
  mode: "required" | "best-effort",
  onStartFailure: "reject" | "hang-up" | "alert",
  pauseOnStart = false,
  onStop: "restart" | "hang-up" | "alert" = "alert",
): Decision =>
  recordDecision({
    mode,
    recording: { content: "audio", channel: "mixed", format: "wav", pauseOnStart },
    enforcement: { onStartFailure, onStop },
  });
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

const scopeStop = { recordingId: "r", trigger: "scope", by: "scope", reason: "no-in-scope-present", at: "t" } as const;
const requestStop = {
  recordingId: "r",
  trigger: "request",
  by: "cc-agent",
  reason: "customer-objection",
  at: "t",
} as const;

describe("startDeadlineAction", () => {
  it.each([
    ["not to be recorded", session({}), skip, "none"],
    ["no decision yet", session({}), undefined, "none"],
    ["the call ended", session({ ended: true }), decision("required", "hang-up"), "none"],
    [
      "recording active",
      session({ callConnectionId: "c", recordingId: "r", recordingState: "active" }),
      decision("required", "hang-up"),
      "none",
    ],
    [
      "started paused as asked",
      session({ callConnectionId: "c", recordingId: "r", recordingState: "inactive" }),
      decision("required", "hang-up", true),
      "none",
    ],
    [
      "inactive, not asked to pause",
      session({ callConnectionId: "c", recordingId: "r", recordingState: "inactive" }),
      decision("required", "hang-up"),
      "hang-up",
    ],
    ["start never happened, hang-up", session({ callConnectionId: "c" }), decision("required", "hang-up"), "hang-up"],
    [
      "start never happened, reject → hang-up once established",
      session({ callConnectionId: "c" }),
      decision("required", "reject"),
      "hang-up",
    ],
    ["start never happened, alert", session({ callConnectionId: "c" }), decision("required", "alert"), "alert"],
    ["no connection: cannot hang up, alert", session({}), decision("required", "hang-up"), "alert"],
    ["best-effort never hangs up", session({ callConnectionId: "c" }), decision("best-effort", "hang-up"), "alert"],
    [
      "stopped by scope before the deadline (the trader left)",
      { ...session({ callConnectionId: "c", recordingId: "r", recordingState: "inactive" }), stops: { r: scopeStop } },
      decision("required", "hang-up"),
      "none",
    ],
    [
      "an earlier recording stopped on purpose, the latest not in place",
      { ...session({ callConnectionId: "c", recordingId: "r2", recordingState: "inactive" }), stops: { r: scopeStop } },
      decision("required", "hang-up"),
      "hang-up",
    ],
  ] as const)("%s → %s", (_name, facts, decision, kind) => {
    const action = startDeadlineAction(facts, decision);
    expect(action.kind).toBe(kind);
    expect(action.reason.length).toBeGreaterThan(5);
    if (action.kind === "hang-up") expect(action.callConnectionId).toBe("c");
  });
});

describe("startFailedAction (StartRecordingFailed)", () => {
  const failed = {
    ...session({ callConnectionId: "c", recordingId: "r1", recordingState: "inactive" }),
    recordings: {},
  };
  it.each([
    ["hang-up policy: ended for everyone now", failed, decision("required", "hang-up"), "r1", "hang-up"],
    ["reject policy: hang-up once established", failed, decision("required", "reject"), "r1", "hang-up"],
    ["alert policy: an alert", failed, decision("required", "alert"), "r1", "alert"],
    ["best-effort: an alert", failed, decision("best-effort", "hang-up"), "r1", "alert"],
    [
      "even with pauseOnStart: a failed start is no paused one",
      failed,
      decision("required", "hang-up", true),
      "r1",
      "hang-up",
    ],
    ["the event named no recording", failed, decision("required", "hang-up"), "", "hang-up"],
    ["a later recording replaced it", { ...failed, recordingId: "r2" }, decision("required", "hang-up"), "r1", "none"],
    [
      "another recording is active",
      { ...failed, recordingState: "active" as const },
      decision("required", "hang-up"),
      "r1",
      "none",
    ],
    ["the call ended", { ...failed, ended: true }, decision("required", "hang-up"), "r1", "none"],
    [
      "no connection of ours: only an alert",
      { ...failed, callConnectionId: undefined },
      decision("required", "hang-up"),
      "r1",
      "alert",
    ],
    ["not to be recorded", failed, skip, "r1", "none"],
  ] as const)("%s → %s", (_name, facts, decision, failedRecordingId, kind) => {
    const action = startFailedAction(facts, decision, failedRecordingId);
    expect(action.kind).toBe(kind);
    if (kind === "hang-up" || kind === "alert") expect(action.reason).toContain("StartRecordingFailed");
  });
});

describe("recordingStoppedAction", () => {
  const live = { ended: false, callConnectionId: "c", recordingId: "r" };
  const required = (onStop: "restart" | "hang-up" | "alert") => decision("required", "alert", false, onStop);
  it.each([
    ["not to be recorded", live, skip, "inactive", 0, "none"],
    ["the call ended", { ...live, ended: true }, required("restart"), "inactive", 0, "none"],
    ["active again (events out of order)", live, required("hang-up"), "active", 0, "none"],
    ["inactive, restart → resume it", live, required("restart"), "inactive", 0, "resume"],
    [
      "paused on purpose (PCI) → nothing",
      { ...live, pause: { at: "t", by: "desk-supervisor", reason: "card-capture" } },
      required("hang-up"),
      "inactive",
      0,
      "none",
    ],
    [
      "gone while paused on purpose → still acted on",
      { ...live, pause: { at: "t", by: "desk-supervisor", reason: "card-capture" } },
      required("hang-up"),
      "missing",
      0,
      "hang-up",
    ],
    ["gone, restart → start anew", live, required("restart"), "missing", 0, "restart"],
    ["restarted too often → alert", live, required("restart"), "missing", MAX_RESTARTS, "alert"],
    ["hang up", live, required("hang-up"), "inactive", 0, "hang-up"],
    [
      "hang up without a connection → alert",
      { ...live, callConnectionId: undefined },
      required("hang-up"),
      "inactive",
      0,
      "alert",
    ],
    ["alert", live, required("alert"), "missing", 0, "alert"],
    ["best-effort only alerts", live, decision("best-effort", "alert", false, "hang-up"), "inactive", 0, "alert"],
    ["stopped by scope → no restart", { ...live, stops: { r: scopeStop } }, required("restart"), "inactive", 0, "none"],
    ["stopped by scope → no hang-up", { ...live, stops: { r: scopeStop } }, required("hang-up"), "missing", 0, "none"],
    ["stopped by scope → no alert", { ...live, stops: { r: scopeStop } }, required("alert"), "missing", 0, "none"],
    [
      "stopped on request → no alert",
      { ...live, stops: { r: requestStop } },
      decision("best-effort", "alert", false, "restart"),
      "missing",
      0,
      "none",
    ],
    [
      "an earlier recording's stop does not cover the latest",
      { ...live, recordingId: "r2", stops: { r: scopeStop } },
      required("hang-up"),
      "inactive",
      0,
      "hang-up",
    ],
  ] as const)("%s → %s", (_name, facts, decision, acsState, restarts, kind) => {
    const action = recordingStoppedAction(facts, decision, acsState, restarts);
    expect(action.kind).toBe(kind);
    expect(action.reason.length).toBeGreaterThan(5);
  });
});

describe("incomingCallAction", () => {
  const ringing = { rang: true, started: false, ended: false, callConnectionId: undefined };
  const healthy: HealthVerdict = { canRecord: true, problems: [] };
  const storageDown: HealthVerdict = { canRecord: false, problems: ["storage: probe failed: ECONNREFUSED"] };
  it.each<[string, Decision, Partial<typeof ringing> | { callConnectionId: string }, HealthVerdict, string]>([
    ["required + reject, storage down, ringing", decision("required", "reject"), {}, storageDown, "reject"],
    ["required + reject, healthy", decision("required", "reject"), {}, healthy, "none"],
    ["required + hang-up: no reject whatever the health", decision("required", "hang-up"), {}, storageDown, "none"],
    ["required + alert", decision("required", "alert"), {}, storageDown, "none"],
    [
      "best-effort + reject (lint refuses it; never acted on)",
      decision("best-effort", "reject"),
      {},
      storageDown,
      "none",
    ],
    ["not to be recorded", skip, {}, storageDown, "none"],
    ["already answered (CallStarted)", decision("required", "reject"), { started: true }, storageDown, "none"],
    ["already connected", decision("required", "reject"), { callConnectionId: "c" }, storageDown, "none"],
    ["already ended", decision("required", "reject"), { ended: true }, storageDown, "none"],
    ["never seen ringing", decision("required", "reject"), { rang: false }, storageDown, "none"],
  ])("%s → %s", (_what, d, facts, health, kind) => {
    expect(incomingCallAction({ ...ringing, ...facts }, d, health).kind).toBe(kind);
  });

  it("says why it rejects", () => {
    expect(incomingCallAction(ringing, decision("required", "reject"), storageDown).reason).toBe(
      "recording impossible: storage: probe failed: ECONNREFUSED",
    );
  });
});
