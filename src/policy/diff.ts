import type { RecordedCall } from "./calls-file.js";
import { decide } from "./evaluate.js";
import type { Decision, TeamPolicy } from "./types.js";

// `recorder policy diff`: replay past calls against two policy sets and list every decision that would change.

export interface DecisionChange {
  call: RecordedCall;
  before: Decision;
  after: Decision;
  /** What differs, in words: "recorded: yes → no". Hashes are not compared (they change with any edit). */
  changes: string[];
}

export interface ReplayResult {
  replayed: number;
  changed: DecisionChange[];
}

/** A decision in one line: "recorded (required) by trading-desk/record-every-call". */
export function describeDecision(decision: Decision): string {
  if (decision.record) return `recorded (${decision.mode}) by ${decision.teamId}/${decision.ruleId}`;
  if ("ruleId" in decision) return `not recorded (${decision.reason}) by ${decision.teamId}/${decision.ruleId}`;
  return `not recorded (${decision.reason})`;
}

/** The settings a policy change can move, flattened to comparable words. */
function settingsOf(decision: Decision): Record<string, string> {
  const settings: Record<string, string> = {
    recorded: decision.record ? "yes" : "no",
    "decided by": "ruleId" in decision ? `${decision.teamId}/${decision.ruleId}` : "(no rule)",
  };
  if (!decision.record) {
    settings.reason = decision.reason;
    return settings;
  }
  const { recording, enforcement, retention, pause, announcement } = decision;
  settings.mode = decision.mode;
  settings.recording = `${recording.content} ${recording.channel} ${recording.format}${recording.pauseOnStart ? " paused on start" : ""}`;
  settings["channel order"] = recording.participantOrdering?.join(", ") || "as detected";
  if (enforcement) {
    settings["if not recording"] = `${enforcement.onStartFailure} after ${enforcement.startWithinSeconds} s`;
    settings["if recording stops"] = enforcement.onStop;
  }
  if (retention) {
    settings.retention = retention.days === null ? "none set" : `${retention.days} days`;
    settings["legal hold"] = retention.legalHold ? "yes" : "no";
  }
  if (pause)
    settings.pausing = pause.allowed
      ? `allowed${pause.autoResumeSeconds ? `, auto-resume ${pause.autoResumeSeconds} s` : ""}`
      : "not allowed";
  if (decision.until) settings["lasts until"] = decision.until;
  if (decision.stop)
    settings["stop on request"] = decision.stop.allowed
      ? `allowed for ${decision.stop.reasons.join(", ")}`
      : "not allowed";
  settings.announcement = !announcement
    ? "none"
    : "text" in announcement
      ? `"${announcement.text}"`
      : announcement.audioUrl;
  return settings;
}

export function differences(before: Decision, after: Decision): string[] {
  const old = settingsOf(before);
  const now = settingsOf(after);
  // When recording starts or stops, its settings appearing or vanishing is noise: the flip says it all.
  const keys =
    before.record === after.record
      ? [...new Set([...Object.keys(old), ...Object.keys(now)])]
      : ["recorded", "decided by"];
  return keys.filter((key) => old[key] !== now[key]).map((key) => `${key}: ${old[key] ?? "—"} → ${now[key] ?? "—"}`);
}

/** Decides every call under both policy sets; pure, so the same inputs always list the same changes. */
export function replayCalls(
  before: readonly TeamPolicy[],
  after: readonly TeamPolicy[],
  calls: readonly RecordedCall[],
): ReplayResult {
  const changed: DecisionChange[] = [];
  for (const call of calls) {
    const old = decide(before, call);
    const now = decide(after, call);
    const changes = differences(old, now);
    if (changes.length > 0) changed.push({ call, before: old, after: now, changes });
  }
  return { replayed: calls.length, changed };
}
