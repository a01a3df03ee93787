import { viewOf, type TeamView } from "./facts.js";
import { memberEntryMatches } from "./identity.js";
import { describeMatch, matchConditions, type ConditionCheck, type MatchResult } from "./match.js";
import { sampleCall, type SamplingResult } from "./sampling.js";
import type { CallFacts, Exemption, RecordingRule, TeamContribution, TeamPolicy } from "./types.js";

/** One exemption or rule as it was tried, in order: what `recorder policy explain` prints. */
export interface TraceStep {
  kind: "exemption" | "rule";
  id: string;
  matched: boolean;
  checks: ConditionCheck[];
  /** Why an exemption did not apply before its conditions were looked at (expired, other members present). */
  note?: string;
}

export interface TeamEvaluation {
  policy: TeamPolicy;
  view: TeamView;
  trace: TraceStep[];
  contribution: TeamContribution;
  /** The rule that records, when this team records the call. */
  recordingRule?: RecordingRule;
}

/** Why an exemption cannot apply to this call regardless of its conditions, if it cannot. */
function exemptionBlocker(exemption: Exemption, view: TeamView): string | undefined {
  if (exemption.until) {
    if (!view.at) return `applies until ${exemption.until}, and the call time is unknown`;
    if (view.at.toISOString().slice(0, 10) > exemption.until) return `expired after ${exemption.until}`;
  }
  const listed = exemption.members;
  if (listed) {
    const others = view.members.filter((rawId) => !listed.some((entry) => memberEntryMatches(entry, rawId)));
    if (others.length > 0) return `covers ${listed.join(", ")} only, and ${others.join(", ")} is on the call too`;
  }
  return undefined;
}

function samplingWords({ percent, bucket, sampled }: SamplingResult): string {
  if (bucket === null) return ` (${percent}% QA sample not applied: no call key, so recorded)`;
  return ` (${percent}% QA sample: bucket ${bucket} ${sampled ? "is" : "is not"} below ${Math.round(percent * 100)})`;
}

function describeView(view: TeamView): string {
  return `${view.members.join(", ")} on the call (direction ${view.direction ?? "unknown"}, scope ${view.scope}, ${view.shape === "group" ? "group" : "1:1"})`;
}

/**
 * One team's verdict: exemptions first (a do-not-record entry overrides the team's rules), then rules in
 * order, first match wins. Undefined when no member of the team is on the call.
 */
export function evaluateTeam(
  policy: TeamPolicy,
  facts: CallFacts,
  everyone: string[],
  policies: readonly TeamPolicy[],
): TeamEvaluation | undefined {
  const view = viewOf(policy, facts, everyone, policies);
  if (view.members.length === 0) return undefined;
  const trace: TraceStep[] = [];
  const base = {
    teamId: policy.team.id,
    teamName: policy.team.name,
    policyFile: policy.file,
    policyHash: policy.hash,
    members: view.members,
    direction: view.direction ?? ("unknown" as const),
    scope: view.scope,
    shape: view.shape,
  };
  const who = `${policy.team.id}: ${describeView(view)}`;
  const done = (contribution: TeamContribution, recordingRule?: RecordingRule): TeamEvaluation => ({
    policy,
    view,
    trace,
    contribution,
    ...(recordingRule ? { recordingRule } : {}),
  });

  for (const exemption of policy.exemptions) {
    const blocker = exemptionBlocker(exemption, view);
    const result: MatchResult = blocker ? { matches: false, checks: [] } : matchConditions(exemption.match, view);
    trace.push({
      kind: "exemption",
      id: exemption.id,
      matched: result.matches,
      checks: result.checks,
      ...(blocker ? { note: blocker } : {}),
    });
    if (!result.matches) continue;
    return done({
      ...base,
      outcome: "exempt",
      ruleId: exemption.id,
      matchedBy: "exemption",
      reason: exemption.reason,
      ...(result.localTime ? { localTime: result.localTime } : {}),
      summary: `${who}; exemption ${exemption.id} applies (${describeMatch(exemption.match)}): not recorded — ${exemption.reason}`,
    });
  }

  for (const rule of policy.rules) {
    const result = matchConditions(rule.match, view);
    trace.push({ kind: "rule", id: rule.id, matched: result.matches, checks: result.checks });
    if (!result.matches) continue;
    const matched = {
      ...base,
      ruleId: rule.id,
      matchedBy: "rule" as const,
      mode: rule.mode,
      ...(result.localTime ? { localTime: result.localTime } : {}),
    };
    const said = `${who}; rule ${rule.id} matched (${describeMatch(rule.match)})`;
    if (rule.mode === "never") {
      const reason = rule.reason ? { reason: rule.reason } : {};
      return done({
        ...matched,
        outcome: "never",
        ...reason,
        summary: `${said}: never record${rule.reason ? ` — ${rule.reason}` : ""}`,
      });
    }
    // Only a best-effort rule below 100% samples; required rules record every call.
    const sampling =
      rule.mode === "best-effort" && rule.samplePercent < 100
        ? sampleCall(rule.samplePercent, policy.team.id, facts.callKey)
        : undefined;
    if (sampling && !sampling.sampled) {
      const summary = `${said}: best-effort, not in the sample${samplingWords(sampling)}`;
      return done({ ...matched, outcome: "not-sampled", sampling, summary });
    }
    const summary = `${said}: ${rule.mode}${sampling ? samplingWords(sampling) : ""}`;
    return done({ ...matched, outcome: "record", ...(sampling ? { sampling } : {}), summary }, rule);
  }

  return done({
    ...base,
    outcome: "no-rule-matched",
    summary: `${who}; no rule matched, so this team does not record it`,
  });
}
