import {
  compareDecisions,
  consentDecision,
  type AreaCodeTable,
  type ConsentContext,
  type ConsentDecision,
  type JurisdictionData,
  type JurisdictionSets,
  undefinedSets,
} from "../consent/index.js";
import { everyoneOn, isMember } from "./facts.js";
import { byFile } from "./hash.js";
import type { CallFacts, Decision, RecordingRule, TeamPolicy } from "./types.js";

// The consent decision of a recorded call (docs/consent.md): built from the policies (which rules record, the
// teams' default locations), the jurisdiction data and the directory. Pure: the directory is a lookup passed in.

/** What a consent decision needs besides the policies: the jurisdiction data, and the directory when there is one. */
export interface ConsentEnvironment {
  sets: JurisdictionSets;
  areaCodes: AreaCodeTable;
  /** SHA-256 of the jurisdiction files, cited by the decision. */
  hash?: string;
  /** The team directory's `location` of an identity (raw id), if it has one. */
  directoryLocation?: (rawId: string) => string | undefined;
}

/** The consent decision of a call, with the team and jurisdiction data it came from. */
export type CallConsent = ConsentDecision & {
  teamId: string;
  /** SHA-256 of the jurisdiction files the decision read, when known. */
  jurisdictionsHash?: string;
  /**
   * Whom a consent prompt is for: every person on the call outside the recording teams (an all-party-consent law
   * wants every party's consent, wherever the others are). Members are not asked: their consent is their
   * employer's business (docs/consent.md "Who is asked"). Empty when everyone is a member. decideConsent always
   * sets it; optional because it came after the first consent decisions were stored with calls.
   */
  ask?: string[];
};

/** The context a consent decision reads: a team's default location covers that team's members (first team in file order). */
export function consentContext(policies: readonly TeamPolicy[], env: ConsentEnvironment): ConsentContext {
  const ordered = [...policies].sort(byFile);
  return {
    sets: env.sets,
    areaCodes: env.areaCodes,
    ...(env.directoryLocation ? { directoryLocation: env.directoryLocation } : {}),
    teamDefaultLocation: (rawId) => {
      const team = ordered.find((policy) => policy.team.defaultLocation && isMember(policy, rawId));
      return team?.team.defaultLocation ? { teamId: team.team.id, location: team.team.defaultLocation } : undefined;
    },
  };
}

/** The rules that record a call, with their teams, in the decision's contribution order (policy file order). */
export function recordingRulesOf(
  policies: readonly TeamPolicy[],
  decision: Decision,
): { teamId: string; rule: RecordingRule }[] {
  if (!decision.record) return [];
  const contributions = decision.contributions ?? [
    { teamId: decision.teamId, ruleId: decision.ruleId, outcome: "record" as const },
  ];
  return contributions.flatMap((c) => {
    if (c.outcome !== "record" || c.ruleId === undefined) return [];
    const rule = policies.find((p) => p.team.id === c.teamId)?.rules.find((r) => r.id === c.ruleId);
    return rule && rule.mode !== "never" ? [{ teamId: c.teamId, rule }] : [];
  });
}

/**
 * The consent decision of a recorded call: every party on it (caller, callee and participants, members included:
 * a member in an all-party-consent state makes the law of that state apply too; not Teams apps and bots, `28:`)
 * judged by each recording rule;
 * the strictest wins (ties: the deciding team's, i.e. the first recording team in file order). Undefined when the
 * call is not recorded.
 */
export function decideConsent(
  policies: readonly TeamPolicy[],
  decision: Decision,
  facts: CallFacts,
  env: ConsentEnvironment,
): CallConsent | undefined {
  const recorders = recordingRulesOf(policies, decision);
  if (!decision.record || recorders.length === 0) return undefined;
  const primaryFirst = [
    ...recorders.filter((r) => r.teamId === decision.teamId && r.rule.id === decision.ruleId),
    ...recorders.filter((r) => !(r.teamId === decision.teamId && r.rule.id === decision.ruleId)),
  ];
  const ctx = consentContext(policies, env);
  // Teams apps and bots (`28:`) are not people: nobody there can be told or consent, and no law places them.
  // The people the notice or question is for come first, so that between equally strict parties one of them
  // decides (and the message is in their language): those in no recording team, then the members.
  const people = everyoneOn(facts).filter((rawId) => !rawId.startsWith("28:"));
  const member = (rawId: string) =>
    recorders.some((r) => policies.some((p) => p.team.id === r.teamId && isMember(p, rawId)));
  const parties = [...people.filter((rawId) => !member(rawId)), ...people.filter(member)];
  const judged = primaryFirst.map((r) => ({ teamId: r.teamId, decision: consentDecision(parties, r.rule, ctx) }));
  const chosen = judged.reduce((best, next) => (compareDecisions(next.decision, best.decision) > 0 ? next : best));
  return {
    ...chosen.decision,
    teamId: chosen.teamId,
    ...(env.hash ? { jurisdictionsHash: env.hash } : {}),
    ask: people.filter((rawId) => !member(rawId)),
  };
}

/** A team directory as decideConsent's caller has it: the entry of an identity in one team's directory. */
export type DirectoryLookup = (
  teamId: string,
  rawId: string,
) => Promise<{ location?: string | undefined } | undefined> | { location?: string | undefined } | undefined;

/**
 * The directory locations of a recorded call's people, fetched before the (pure, synchronous) consent decision:
 * each person (not bots) is looked up in the directory of each recording team, the deciding team's first, then
 * file order; the first entry with a location places them. Teams without a directory simply know nobody.
 */
export async function directoryLocationsFor(
  policies: readonly TeamPolicy[],
  decision: Decision,
  facts: CallFacts,
  lookup: DirectoryLookup,
): Promise<(rawId: string) => string | undefined> {
  const teams = [...new Set(recordingRulesOf(policies, decision).map((r) => r.teamId))];
  if (decision.record) teams.sort((a, b) => Number(b === decision.teamId) - Number(a === decision.teamId));
  const found = new Map<string, string>();
  for (const rawId of everyoneOn(facts).filter((id) => !id.startsWith("28:"))) {
    for (const teamId of teams) {
      const location = (await lookup(teamId, rawId))?.location;
      if (location) {
        found.set(rawId, location);
        break;
      }
    }
  }
  return (rawId) => found.get(rawId);
}

/**
 * Consent blocks that cannot be decided: a set name the jurisdiction data does not define (it would silently cover
 * nobody), or any consent block when the policy directory has no jurisdiction data (null).
 */
export function consentReferenceProblems(
  policies: readonly TeamPolicy[],
  jurisdictions: JurisdictionData | null,
  dir: string,
): string[] {
  const problems: string[] = [];
  for (const policy of policies) {
    policy.rules.forEach((rule, i) => {
      if (rule.mode === "never" || !rule.consent) return;
      const where = policy.positions?.rules[i] ?? policy.file;
      if (!jurisdictions) {
        problems.push(
          `${where}: rule ${rule.id} has a consent block, but ${dir}/jurisdictions.sets.yaml and jurisdictions.nanp-area-codes.yaml are missing`,
        );
        return;
      }
      for (const name of undefinedSets(rule.consent.entries, jurisdictions.sets)) {
        const known = [...jurisdictions.sets.keys()].join(", ");
        problems.push(
          `${where}: rule ${rule.id}: consent names the set ${name}, which jurisdictions.sets.yaml does not define (sets: ${known}; or unknown, *)`,
        );
      }
    });
  }
  return problems;
}
