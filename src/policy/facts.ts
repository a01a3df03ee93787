import { kindOf, memberEntryMatches, numberOf, type IdentityKind } from "./identity.js";
import { instantOf } from "./time.js";
import type { CallFacts, CallShape, Direction, Scope, TeamPolicy } from "./types.js";

/** A party on the call who is not a member of the team being evaluated. */
export interface Counterpart {
  rawId: string;
  kind: IdentityKind;
  /** E.164 number of a PSTN party. */
  number?: string;
  /** Whether the party is a member of any team (makes the call internal to the organisation). */
  inAnyTeam: boolean;
}

/** The call as one team sees it: every condition of the language is judged on this. */
export interface TeamView {
  members: string[];
  counterparts: Counterpart[];
  direction: Direction | undefined;
  scope: Scope;
  shape: CallShape;
  at: Date | undefined;
}

export function isMember(policy: TeamPolicy, rawId: string): boolean {
  return policy.members.some((entry) => memberEntryMatches(entry, rawId));
}

/** Caller, callee and participants, each once, sorted: the decision must not depend on event order. */
export function everyoneOn(facts: CallFacts): string[] {
  const all = new Set(facts.participants);
  if (facts.caller) all.add(facts.caller);
  if (facts.callee) all.add(facts.callee);
  return [...all].sort();
}

/**
 * Derives what the worker does not tell us from who is on the call:
 * - direction: `internal` when everyone is in the team; else `outbound` when the caller is a member,
 *   `inbound` when the caller is not; unknown while the caller is not known;
 * - scope: `external` when any counterpart is in no team;
 * - shape: `group` with more than two parties.
 */
export function viewOf(
  policy: TeamPolicy,
  facts: CallFacts,
  everyone: string[],
  policies: readonly TeamPolicy[],
): TeamView {
  const members = everyone.filter((rawId) => isMember(policy, rawId));
  const counterparts = everyone
    .filter((rawId) => !isMember(policy, rawId))
    .map((rawId): Counterpart => {
      const number = numberOf(rawId);
      return {
        rawId,
        kind: kindOf(rawId),
        ...(number ? { number } : {}),
        inAnyTeam: policies.some((other) => isMember(other, rawId)),
      };
    });
  let direction: Direction | undefined;
  if (counterparts.length === 0) direction = "internal";
  else if (facts.caller) direction = isMember(policy, facts.caller) ? "outbound" : "inbound";
  return {
    members,
    counterparts,
    direction,
    scope: counterparts.some((c) => !c.inAnyTeam) ? "external" : "internal",
    shape: everyone.length > 2 ? "group" : "one-to-one",
    at: instantOf(facts.at),
  };
}
