import { directoryLocations, type DirectorySource } from "../directory/index.js";
import { recordingRulesOf } from "./consent.js";
import { everyoneOn } from "./facts.js";
import type { CallFacts, Decision, TeamPolicy } from "./types.js";

// The edge of the consent decision (docs/consent.md "Where a party is"): the team directories' locations of the
// people on a call, looked up before deciding so that `decideConsent` stays pure and is handed a plain lookup.

/**
 * The teams whose directories place a call's parties: the recording teams, the deciding team first, then the
 * others in the decision's order. A directory is a team's own: teams that do not record the call are not asked.
 */
export function consentDirectoryTeams(policies: readonly TeamPolicy[], decision: Decision): string[] {
  if (!decision.record) return [];
  const recorders = recordingRulesOf(policies, decision).map((r) => r.teamId);
  return [...new Set([decision.teamId, ...recorders])];
}

/**
 * Where each party of a recorded call is by its recording teams' directories (`location`), as the
 * `directoryLocation` lookup of the consent environment. Without a directory, nobody is placed by one.
 */
export async function directoryLocationLookup(
  directory: Pick<DirectorySource, "lookup"> | undefined,
  policies: readonly TeamPolicy[],
  decision: Decision,
  facts: CallFacts,
): Promise<(rawId: string) => string | undefined> {
  if (!directory || !decision.record) return () => undefined;
  const located = await directoryLocations(directory, consentDirectoryTeams(policies, decision), everyoneOn(facts));
  return (rawId) => located.get(rawId);
}
