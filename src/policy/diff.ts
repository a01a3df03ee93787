import type { RecordedCall } from "./calls-file.js";
import { decideConsent, type CallConsent, type ConsentEnvironment } from "./consent.js";
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

/** A recorded call's consent decision in words, for comparison: what is required, decided where, and its actions. */
export function describeConsent(consent: CallConsent | undefined): string {
  if (!consent || consent.requirement === "none") return "none";
  const where = `${consent.decidedBy.jurisdiction} (${consent.decidedBy.set})`;
  if (consent.requirement === "notice") {
    const said = "text" in consent.announcement ? `"${consent.announcement.text}"` : consent.announcement.audioUrl;
    return `notice for ${where}: ${said}`;
  }
  return `consent for ${where}: on refusal ${consent.onRefusal}, on silence ${consent.onSilence}, wait ${consent.timeoutSeconds} s`;
}

/** What a consent block change moves for a call recorded before and after (nothing when either set has no data). */
function consentDifferences(
  call: RecordedCall,
  sets: { before: readonly TeamPolicy[]; after: readonly TeamPolicy[] },
  decisions: { before: Decision; after: Decision },
  consent: { before?: ConsentEnvironment | undefined; after?: ConsentEnvironment | undefined },
): string[] {
  if (!decisions.before.record || !decisions.after.record || !consent.before || !consent.after) return [];
  const old = describeConsent(decideConsent(sets.before, decisions.before, call, consent.before));
  const now = describeConsent(decideConsent(sets.after, decisions.after, call, consent.after));
  return old === now ? [] : [`consent: ${old} → ${now}`];
}

/**
 * Decides every call under both policy sets; pure, so the same inputs always list the same changes. With the
 * jurisdiction data of both sets (`consent`), a change of what a recorded call requires (none, notice, consent,
 * and the refusal actions) is listed too.
 */
export function replayCalls(
  before: readonly TeamPolicy[],
  after: readonly TeamPolicy[],
  calls: readonly RecordedCall[],
  consent: { before?: ConsentEnvironment | undefined; after?: ConsentEnvironment | undefined } = {},
): ReplayResult {
  const changed: DecisionChange[] = [];
  for (const call of calls) {
    const old = decide(before, call);
    const now = decide(after, call);
    const changes = [
      ...differences(old, now),
      ...consentDifferences(call, { before, after }, { before: old, after: now }, consent),
    ];
    if (changes.length > 0) changed.push({ call, before: old, after: now, changes });
  }
  return { replayed: calls.length, changed };
}
