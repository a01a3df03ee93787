import { combine } from "./combine.js";
import { everyoneOn } from "./facts.js";
import { byFile, policySetHash } from "./hash.js";
import { evaluateTeam, type TeamEvaluation } from "./team.js";
import type { CallFacts, Decision, TeamPolicy } from "./types.js";

export { isMember } from "./facts.js";

/** Every team with a member on the call, in policy file order, with how each judged it (for explain). */
export function evaluateTeams(policies: readonly TeamPolicy[], facts: CallFacts): TeamEvaluation[] {
  const ordered = [...policies].sort(byFile);
  const everyone = everyoneOn(facts);
  return ordered.flatMap((policy) => evaluateTeam(policy, facts, everyone, ordered) ?? []);
}

/**
 * The decision for a call: pure (same facts and policies, same decision, in any input order), so it can be
 * replayed, diffed and explained years later. Each team judges the call with its exemptions, then its rules
 * (first match wins); the call is recorded if any team records it (docs/policies.md, "Several teams on a call").
 */
export function decide(policies: readonly TeamPolicy[], facts: CallFacts): Decision {
  return combine(evaluateTeams(policies, facts), everyoneOn(facts), policySetHash(policies));
}
