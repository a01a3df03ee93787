/**
 * `record-our-side-only` (docs/consent-flow.md "Our side only"): when a party refuses or does not answer, the call is
 * recorded unmixed, and ingest archives only the recording teams' members' channels. Pure: what the fallback job
 * records in the session and asks of ACS.
 */
import type { RecordingPlan, Decision } from "../policy/index.js";
import type { CallSession, UnarchivedParty } from "../sessions/index.js";
import { partiesOf } from "./consent.js";

/**
 * The parties whose audio must never be archived: everyone asked who did not consent (refused, silent, failed),
 * everyone not asked once a refusal closed the question, and `party` (a joiner routed here while a recording runs).
 * Pure.
 */
export function unarchivedPartiesOf(
  session: Pick<CallSession, "consentAsked" | "consentAnswer" | "consentParties">,
  party: string | undefined,
  at: string,
): Record<string, UnarchivedParty> {
  const parties: Record<string, UnarchivedParty> = {};
  for (const p of partiesOf(session)) {
    const outcome = p.answer?.outcome;
    if (outcome === "given") continue;
    parties[p.party] = { why: outcome ?? (p.asked ? "no answer" : "not asked"), at };
  }
  if (party !== undefined && !parties[party]) {
    const said = session.consentParties?.[party]?.answer;
    const outcome = said ? (JSON.parse(said) as { outcome?: string }).outcome : undefined;
    parties[party] = { why: outcome && outcome !== "given" ? outcome : "no consent", at };
  }
  return parties;
}

/**
 * The recording to start for our side only: the rule's unmixed recording, with the recording teams' members on the
 * first channels and the parties not to archive last, and always in ACS's own storage — never the team's container
 * (bring your own storage would have ACS write the refuser's channel where we cannot strip it, docs/byos.md). Pure.
 * Undefined when the decision does not record unmixed audio (policy lint refuses such a rule; a stored decision of
 * an older policy may still say so).
 */
export function ourSideOnlyPlan(decision: Decision, unarchived: Iterable<string>): RecordingPlan | undefined {
  if (!decision.record || decision.recording.channel !== "unmixed" || decision.recording.content !== "audio")
    return undefined;
  if (decision.recording.format !== "wav") return undefined;
  const { storage: _storage, participantOrdering, ...options } = decision.recording;
  const last = new Set(unarchived);
  const ordered = new Set<string>(decision.inScope ?? []);
  for (const rawId of participantOrdering ?? []) if (!last.has(rawId)) ordered.add(rawId);
  for (const rawId of last) ordered.add(rawId);
  return { ...options, participantOrdering: [...ordered] };
}
