import type { ConsentFallback, PlayedMessage } from "../consent/index.js";
import { combine } from "./combine.js";
import { decideConsent, type CallConsent, type ConsentEnvironment } from "./consent.js";
import { everyoneOn } from "./facts.js";
import { policySetHash } from "./hash.js";
import { evaluateTeams } from "./evaluate.js";
import type { TeamEvaluation, TraceStep } from "./team.js";
import type {
  CallFacts,
  TeamPolicy,
  Decision,
  Enforcement,
  PausePolicy,
  RecordDecision,
  Retention,
  StartFailureAction,
  StopAction,
} from "./types.js";

// `recorder policy explain`: the decision, and the way each team reached its part of it, in plain words.

const START_WORDS: Record<StartFailureAction, string> = {
  reject: "reject the call while it still rings (once answered: hang up)",
  "hang-up": "hang up the call",
  alert: "raise an alert; the call goes on unrecorded",
};
const STOP_WORDS: Record<StopAction, string> = {
  restart: "start recording again",
  "hang-up": "hang up the call",
  alert: "raise an alert; the call goes on unrecorded",
};

function years(days: number): string {
  const y = Math.round((days / 365) * 10) / 10;
  return y >= 1 ? ` (about ${y} year${y === 1 ? "" : "s"})` : "";
}

function stepLine(step: TraceStep): string {
  const what = `${step.kind} ${step.id}`;
  if (step.note) return `    - ${what}: does not apply — ${step.note}`;
  if (step.matched) {
    const because = step.checks.length === 0 ? "no conditions" : step.checks.map((c) => c.detail).join("; ");
    return `    - ${what}: MATCHES (${because})`;
  }
  const failed = step.checks.filter((c) => !c.holds).map((c) => c.detail);
  return `    - ${what}: does not match — ${failed.join("; ")}`;
}

function teamSection(evaluation: TeamEvaluation): string[] {
  const { policy, view, trace, contribution } = evaluation;
  const direction = view.direction ?? "unknown (the caller is not known)";
  const scope =
    view.scope === "external" ? "external (someone on it is in no team)" : "internal (everyone on it is in a team)";
  const lines = [
    `  Team ${policy.team.id} — ${policy.team.name} — ${policy.file} (sha256 ${policy.hash})`,
    `    On the call: ${view.members.join(", ")}.`,
    `    For this team the call is: direction ${direction}; scope ${scope}; ${view.shape === "group" ? "a group call" : "1:1"}.`,
    ...trace.map(stepLine),
  ];
  const outcome: Record<typeof contribution.outcome, string> = {
    record: `records it (${contribution.mode ?? ""})`,
    "not-sampled": "would record it best-effort, but the call is outside the QA sample",
    never: "never records it",
    exempt: `exempts it: ${contribution.reason ?? ""}`,
    "no-rule-matched": "has no rule for it, so does not record it",
  };
  lines.push(`    => ${policy.team.id} ${outcome[contribution.outcome]}.`);
  if (contribution.sampling) {
    const { percent, bucket, sampled } = contribution.sampling;
    lines.push(
      bucket === null
        ? `       ${percent}% QA sample not applied: no call key (--call-key), so the call counts as sampled.`
        : `       ${percent}% QA sample: this call's bucket is ${bucket} of 10000, ${sampled ? "inside" : "outside"} the sample.`,
    );
  }
  return lines;
}

function enforcementLines(enforcement: Enforcement | undefined): string[] {
  if (!enforcement) return [];
  return [
    `  If recording has not started ${enforcement.startWithinSeconds} s after the call starts: ${START_WORDS[enforcement.onStartFailure]}.`,
    `  If recording stops during the call: ${STOP_WORDS[enforcement.onStop]}.`,
  ];
}

function retentionLine(retention: Retention | undefined): string {
  if (!retention) return "  Retention: not stated.";
  const days =
    retention.days === null
      ? "no retention period set by the policy"
      : `keep for ${retention.days} days${years(retention.days)}`;
  return `  Retention: ${days}; ${retention.legalHold ? "under legal hold" : "no legal hold"}.`;
}

function pauseLine(pause: PausePolicy | undefined): string {
  if (!pause?.allowed) return "  Pausing (e.g. while a card number is read): not allowed.";
  const resume = pause.autoResumeSeconds === null ? "" : `, resumes by itself after ${pause.autoResumeSeconds} s`;
  return `  Pausing (e.g. while a card number is read): allowed${resume}.`;
}

function untilLine(decision: RecordDecision): string {
  if (decision.until === "call-end") return "  Recording lasts until the call ends.";
  const who = decision.inScope?.length ? decision.inScope.join(", ") : "the recording teams' members";
  return `  Recording lasts while ${who} ${decision.inScope?.length === 1 ? "is" : "are"} on the call: stopped when the last of them leaves, started again if one comes back.`;
}

function stopLine(decision: RecordDecision): string {
  if (decision.stop?.allowed) return `  Stopping on request: allowed, for ${decision.stop.reasons.join(", ")}.`;
  return decision.mode === "required"
    ? "  Stopping on request: not allowed (a required recording)."
    : "  Stopping on request: not allowed.";
}

/** Where the recording's bytes go (docs/byos.md). */
function storageLine(storage: RecordDecision["recording"]["storage"]): string {
  if (!storage) return "  Storage: ACS's own storage; downloaded into the archive within 24 h.";
  return `  Storage: written by ACS into the team's container ${storage.containerUrl} and sealed there (bring your own storage); if ACS cannot write there, downloaded into the archive within 24 h.`;
}

function outcomeLines(decision: RecordDecision): string[] {
  const { recording, announcement } = decision;
  const order = recording.participantOrdering?.length
    ? `; channel order: ${recording.participantOrdering.join(", ")}`
    : "";
  const lines = [
    `  Record ${recording.content === "audio" ? "audio" : "audio and video"}, ${recording.channel} channels, ${recording.format}${order}.`,
  ];
  if (recording.pauseOnStart) lines.push("  The recording starts paused (someone must resume it).");
  lines.push(storageLine(recording.storage));
  if (announcement) {
    lines.push(
      "text" in announcement ? `  Announce: "${announcement.text}"` : `  Announce: play ${announcement.audioUrl}`,
    );
  } else {
    lines.push("  No announcement.");
  }
  lines.push(
    ...enforcementLines(decision.enforcement),
    untilLine(decision),
    retentionLine(decision.retention),
    pauseLine(decision.pause),
    stopLine(decision),
  );
  if (
    decision.settingsFrom &&
    decision.contributions &&
    decision.contributions.filter((c) => c.outcome === "record").length > 1
  ) {
    const from = decision.settingsFrom;
    lines.push(
      `  Several teams record this call: options from ${from.recording} (the deciding team), start enforcement from ${from.enforcementStart} and stop enforcement from ${from.enforcementStop} (strictest), retention from ${from.retention} (longest)${from.until ? `, duration from ${from.until} (longest)` : ""}.`,
    );
  }
  return lines;
}

function headline(decision: Decision): string[] {
  if (decision.record) {
    return [
      `RECORDED (${decision.mode})`,
      `  Decided by team ${decision.teamId}, rule ${decision.ruleId}, in ${decision.policyFile} (sha256 ${decision.policyHash}).`,
    ];
  }
  if (!("ruleId" in decision)) {
    return decision.reason === "no-team-member"
      ? ["NOT RECORDED (no-team-member): nobody on the call is a member of any team."]
      : [
          "NOT RECORDED (no-rule-matched): the teams on the call have no rule for it.",
          "  The call's metadata is still kept in the ledger.",
        ];
  }
  const what = decision.reason === "exempt" ? "exemption" : "rule";
  return [
    `NOT RECORDED (${decision.reason})`,
    `  Decided by team ${decision.teamId}, ${what} ${decision.ruleId}, in ${decision.policyFile} (sha256 ${decision.policyHash}).`,
    "  The call's metadata is still kept in the ledger.",
  ];
}

const FALLBACK_WORDS: Record<ConsentFallback, string> = {
  "record-nothing": "record nothing (the call goes on unrecorded)",
  "end-call": "end the call",
  "record-our-side-only":
    "record our side only (unmixed, in ACS's storage; only our members' channels archived, ACS's copy deleted after ingest)",
};

function played(message: PlayedMessage): string {
  return "audioUrl" in message ? `play ${message.audioUrl}` : `"${message.text}" (${message.locale})`;
}

function consentLines(consent: CallConsent): string[] {
  const data = consent.jurisdictionsHash ? `; jurisdiction data sha256 ${consent.jurisdictionsHash}` : "";
  const lines = [`  Rule ${consent.ruleId} of team ${consent.teamId}${data}.`];
  const by = consent.decidedBy;
  if (by) {
    lines.push(
      `  Decided by ${by.party} in ${by.jurisdiction} (set ${by.set}, placed by ${by.source}): the strictest party decides.`,
    );
  }
  if (consent.requirement === "none") {
    lines.push(
      by
        ? "  Requirement: none — nobody is told or asked."
        : "  Requirement: none — no consent block applies to anyone.",
    );
  } else if (consent.requirement === "notice") {
    lines.push(`  Requirement: notice — announce ${played(consent.announcement)}`);
  } else {
    const answers = [
      ...consent.accept.dtmf.map((key) => `pressing ${key}`),
      ...consent.accept.speech.map((phrase) => `saying "${phrase}"`),
    ].join(" or ");
    lines.push(
      "  Requirement: consent — nothing of the call is recorded until consent is given.",
      `  Ask ${consent.ask?.length ? consent.ask.join(", ") : "nobody (everyone on the call is a member of a recording team)"}: ${played(consent.prompt)}; consent is ${answers}; wait ${consent.timeoutSeconds} s.`,
      `  On refusal: ${FALLBACK_WORDS[consent.onRefusal]}. On silence: ${FALLBACK_WORDS[consent.onSilence]}.`,
    );
  }
  lines.push("  Each party:");
  for (const party of consent.parties) {
    const rule = party.set === null ? "not handled by the rule (nothing asked)" : `${party.set} → ${party.requirement}`;
    lines.push(`    - ${party.party}: ${party.jurisdiction} (${party.source}: ${party.detail}) → ${rule}`);
  }
  if (consent.unhandled.length > 0) {
    lines.push(
      `  WARNING: the rule says nothing for ${consent.unhandled.join(", ")}: add a set, unknown or * to its consent block.`,
    );
  }
  return lines;
}

/**
 * The decision for a call and a report a compliance officer can read (and file). With the jurisdiction data
 * (`consent`), a recorded call's consent decision too: which party and jurisdiction decided, and what is required.
 */
export function explainCall(
  policies: readonly TeamPolicy[],
  facts: CallFacts,
  consentEnvironment?: ConsentEnvironment,
): { decision: Decision; consent?: CallConsent; text: string } {
  const evaluations = evaluateTeams(policies, facts);
  const setHash = policySetHash(policies);
  const decision = combine(evaluations, everyoneOn(facts), setHash);
  const lines = [...headline(decision), `  Policy set sha256 ${setHash}.`, "", "The call"];
  if (facts.caller) lines.push(`  from ${facts.caller}`);
  if (facts.callee) lines.push(`  to   ${facts.callee}`);
  const others = everyoneOn(facts).filter((p) => p !== facts.caller && p !== facts.callee);
  if (others.length > 0) lines.push(`  with ${others.join(", ")}`);
  lines.push(`  at   ${facts.at ?? "(unknown time)"}`);
  if (evaluations.length > 0) {
    lines.push("", "How each team judged it (exemptions first, then rules in order; the first that matches decides)");
    for (const evaluation of evaluations) lines.push(...teamSection(evaluation));
  }
  if (decision.record) lines.push("", "What happens", ...outcomeLines(decision));
  const consent = consentEnvironment ? decideConsent(policies, decision, facts, consentEnvironment) : undefined;
  if (consent) lines.push("", "Consent and notice", ...consentLines(consent));
  return { decision, ...(consent ? { consent } : {}), text: lines.join("\n") };
}
