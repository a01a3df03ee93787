import type { TeamEvaluation } from "./team.js";
import type {
  Announcement,
  Decision,
  Enforcement,
  PausePolicy,
  RecordDecision,
  RecordingPlan,
  RecordingRule,
  Retention,
  StartFailureAction,
  StopAction,
  StopPolicy,
  TeamContribution,
} from "./types.js";

// Strictness orders: the strictest enforcement any recording team asks for is applied to the whole call.
const START_STRICTNESS: Record<StartFailureAction, number> = { alert: 0, "hang-up": 1, reject: 2 };
const STOP_STRICTNESS: Record<StopAction, number> = { alert: 0, restart: 1, "hang-up": 2 };

interface Recorder {
  evaluation: TeamEvaluation;
  rule: RecordingRule;
}

export const shortHash = (hash: string) => hash.slice(0, 12);

/** First element that is best by `better` (earlier wins ties, so policy file order breaks them). */
function best<T>(items: readonly T[], better: (a: T, b: T) => boolean): T {
  return items.reduce((chosen, item) => (better(item, chosen) ? item : chosen));
}

/** Unmixed channels: members of the deciding team first, then other recording teams' members, then everyone else. */
function orderingFor(primary: Recorder, recorders: readonly Recorder[], everyone: readonly string[]): string[] {
  if (primary.rule.recording.channel !== "unmixed" || primary.rule.recording.participantOrdering !== "team-first")
    return [];
  const ordered = new Set<string>(primary.evaluation.view.members);
  for (const recorder of recorders) for (const member of recorder.evaluation.view.members) ordered.add(member);
  for (const rawId of everyone) ordered.add(rawId);
  return [...ordered];
}

function recordDecision(
  primary: Recorder,
  recorders: readonly Recorder[],
  everyone: readonly string[],
  contributions: TeamContribution[],
  policySetHash: string,
): RecordDecision {
  const teamOf = (r: Recorder) => r.evaluation.policy.team.id;
  const { participantOrdering: _ordering, ...options } = primary.rule.recording;
  const recording: RecordingPlan = { ...options, participantOrdering: orderingFor(primary, recorders, everyone) };

  const startFrom = best(recorders, (a, b) => {
    const [x, y] = [a.rule.enforcement, b.rule.enforcement];
    const rank = START_STRICTNESS[x.onStartFailure] - START_STRICTNESS[y.onStartFailure];
    return rank > 0 || (rank === 0 && x.startWithinSeconds < y.startWithinSeconds);
  });
  const stopFrom = best(
    recorders,
    (a, b) => STOP_STRICTNESS[a.rule.enforcement.onStop] > STOP_STRICTNESS[b.rule.enforcement.onStop],
  );
  const enforcement: Enforcement = {
    startWithinSeconds: startFrom.rule.enforcement.startWithinSeconds,
    onStartFailure: startFrom.rule.enforcement.onStartFailure,
    onStop: stopFrom.rule.enforcement.onStop,
  };

  const retentionFrom = best(recorders, (a, b) => (a.rule.retention.days ?? -1) > (b.rule.retention.days ?? -1));
  const retention: Retention = {
    days: retentionFrom.rule.retention.days,
    legalHold: recorders.some((r) => r.rule.retention.legalHold),
  };

  // Pausing is allowed only if every recording team allows it; the shortest auto-resume wins.
  const allowed = recorders.every((r) => r.rule.pause.allowed);
  const resumes = recorders.map((r) => r.rule.pause.autoResumeSeconds).filter((s): s is number => s !== null);
  const pause: PausePolicy = {
    allowed,
    autoResumeSeconds: allowed && resumes.length > 0 ? Math.min(...resumes) : null,
  };

  // The recording lasts as long as the longest-lasting team asks: until the call ends if any says so; otherwise
  // while a member of any recording team is on the call (docs/policies.md "How long a recording lasts").
  const untilFrom = recorders.find((r) => r.rule.until === "call-end") ?? primary;
  const until = untilFrom.rule.until;
  const inScope = [...new Set(recorders.flatMap((r) => r.evaluation.view.members))];

  // A stop on request must be lawful for every recording team: each must allow it, for a reason all of them accept.
  const reasons = recorders.every((r) => r.rule.stop.allowed)
    ? recorders
        .slice(1)
        .reduce(
          (common, r) => common.filter((reason) => r.rule.stop.reasons.includes(reason)),
          recorders[0]?.rule.stop.reasons ?? [],
        )
    : [];
  const stop: StopPolicy = { allowed: reasons.length > 0, reasons };

  const announcer = primary.rule.announcement ? primary : recorders.find((r) => r.rule.announcement);
  const announcement: Announcement | undefined = announcer?.rule.announcement;

  const mode = primary.rule.mode;
  const source = {
    teamId: teamOf(primary),
    ruleId: primary.rule.id,
    policyFile: primary.evaluation.policy.file,
    policyHash: primary.evaluation.policy.hash,
  };
  const settingsFrom = {
    recording: teamOf(primary),
    enforcementStart: teamOf(startFrom),
    enforcementStop: teamOf(stopFrom),
    retention: teamOf(retentionFrom),
    ...(announcer ? { announcement: teamOf(announcer) } : {}),
    until: teamOf(untilFrom),
  };
  const lines = [
    `Recorded (${mode}): team ${source.teamId}, rule ${source.ruleId} in ${source.policyFile} (sha256 ${shortHash(source.policyHash)}).`,
    ...contributions.map((c) => `${c.summary}.`),
    until === "call-end"
      ? `Recorded until the call ends (${teamOf(untilFrom)}).`
      : `Recorded while one of ${inScope.join(", ")} is on the call.`,
    stop.allowed ? `May be stopped on request for: ${stop.reasons.join(", ")}.` : "May not be stopped on request.",
  ];
  if (recorders.length > 1) {
    lines.push(
      `Combined: recording options of ${settingsFrom.recording} (the deciding team); ` +
        `start enforcement of ${settingsFrom.enforcementStart} and stop enforcement of ${settingsFrom.enforcementStop} (strictest); ` +
        `retention of ${settingsFrom.retention} (longest)${retention.legalHold ? ", legal hold because a team asks for it" : ""}; ` +
        `pausing ${allowed ? "allowed by every recording team" : "not allowed (a recording team forbids it)"}.`,
    );
  }
  return {
    record: true,
    mode,
    recording,
    enforcement,
    retention,
    pause,
    ...(announcement ? { announcement } : {}),
    until,
    inScope,
    stop,
    settingsFrom,
    ...source,
    contributions,
    policySetHash,
    explanation: lines.join(" "),
  };
}

/**
 * Multi-team resolution: recorded if any team records it. When none does, the decision cites the first
 * explicit refusal (exemption or never rule), else the first team outside its QA sample, else `no-rule-matched`.
 */
export function combine(
  evaluations: readonly TeamEvaluation[],
  everyone: readonly string[],
  policySetHash: string,
): Decision {
  const contributions = evaluations.map((e) => e.contribution);
  const recorders = evaluations.flatMap((evaluation) =>
    evaluation.recordingRule ? [{ evaluation, rule: evaluation.recordingRule }] : [],
  );
  // The deciding team: the first (in file order) that requires recording, else the first that records.
  const primary = recorders.find((r) => r.rule.mode === "required") ?? recorders[0];
  if (primary) return recordDecision(primary, recorders, everyone, contributions, policySetHash);

  const common = { contributions, policySetHash };
  if (evaluations.length === 0) {
    const who = everyone.length > 0 ? ` (${everyone.join(", ")})` : "";
    return {
      record: false,
      reason: "no-team-member",
      explanation: `Not recorded: no participant${who} is a member of any team.`,
      ...common,
    };
  }
  const decisive =
    contributions.find((c) => c.outcome === "exempt" || c.outcome === "never") ??
    contributions.find((c) => c.outcome === "not-sampled");
  const details = contributions.map((c) => `${c.summary}.`).join(" ");
  if (!decisive || decisive.ruleId === undefined) {
    return {
      record: false,
      reason: "no-rule-matched",
      explanation: `Not recorded: no rule of the teams on the call matched. ${details}`,
      ...common,
    };
  }
  const reason = decisive.outcome === "exempt" ? "exempt" : decisive.outcome === "never" ? "rule" : "not-sampled";
  const what = decisive.matchedBy === "exemption" ? "exemption" : "rule";
  return {
    record: false,
    reason,
    teamId: decisive.teamId,
    ruleId: decisive.ruleId,
    policyFile: decisive.policyFile,
    policyHash: decisive.policyHash,
    explanation: `Not recorded (${reason}): team ${decisive.teamId}, ${what} ${decisive.ruleId} in ${decisive.policyFile} (sha256 ${shortHash(decisive.policyHash)}). ${details}`,
    ...common,
  };
}
