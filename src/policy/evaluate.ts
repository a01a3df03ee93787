import type { CallFacts, Decision, TeamPolicy } from "./types.js";

/** A member entry matches a participant raw id; E.164 entries match PSTN raw ids (`4:+1…`). */
export function isMember(policy: TeamPolicy, rawId: string): boolean {
  return policy.members.some((member) => (member.startsWith("+") ? rawId === `4:${member}` : rawId === member));
}

/**
 * The decision for a call: pure, so it can be replayed and explained later.
 * Teams are considered in file-name order; the first team with a member on the call whose rule records wins,
 * so one regulated participant is enough to record the call.
 */
export function decide(policies: readonly TeamPolicy[], facts: CallFacts): Decision {
  let firstExemption: Decision | undefined;
  for (const policy of policies) {
    const members = facts.participants.filter((rawId) => isMember(policy, rawId));
    if (members.length === 0) continue;
    // The skeleton language has one kind of rule, which always matches: the first rule decides.
    const rule = policy.rules[0];
    if (!rule) continue;
    const source = { teamId: policy.team.id, ruleId: rule.id, policyFile: policy.file, policyHash: policy.hash };
    if (rule.mode !== "never") {
      return {
        record: true,
        mode: rule.mode,
        recording: rule.recording,
        explanation: `${members.join(", ")} ${members.length === 1 ? "is a member" : "are members"} of team ${policy.team.id}; rule ${rule.id} in ${policy.file} says ${rule.mode}`,
        ...source,
      };
    }
    firstExemption ??= {
      record: false,
      reason: "rule",
      explanation: `team ${policy.team.id}: rule ${rule.id} in ${policy.file} says never`,
      ...source,
    };
  }
  return firstExemption ?? { record: false, reason: "no-team-member", explanation: "no participant is a member of any team" };
}
