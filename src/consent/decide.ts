import { countryOf, jurisdictionOfParty, setCovers } from "./jurisdiction.js";
import {
  ANY_JURISDICTION,
  UNKNOWN_JURISDICTION,
  type ConsentContext,
  type ConsentDecision,
  type ConsentEntry,
  type ConsentFallback,
  type ConsentRequirement,
  type ConsentRequirementKind,
  type ConsentRule,
  type DecidedBy,
  type Jurisdiction,
  type JurisdictionSets,
  type PartyConsent,
  type PlayedMessage,
  type SpokenMessage,
} from "./types.js";

// The consent decision (docs/consent.md "The strictest party decides"): each party's jurisdiction picks an entry
// of the rule's consent block; the strictest party's entry is applied to the whole call.

const REQUIREMENT_RANK: Record<ConsentRequirementKind, number> = { none: 0, notice: 1, consent: 2 };
/** Ending the call is strictest; keeping our side is the least strict (something of the call is still recorded). */
export const FALLBACK_RANK: Record<ConsentFallback, number> = {
  "record-our-side-only": 0,
  "record-nothing": 1,
  "end-call": 2,
};

interface Strictness {
  kind: ConsentRequirementKind;
  onRefusal?: ConsentFallback;
  onSilence?: ConsentFallback;
  timeoutSeconds?: number;
}

function compareKeys(a: Strictness, b: Strictness): number {
  const rank = REQUIREMENT_RANK[a.kind] - REQUIREMENT_RANK[b.kind];
  if (rank !== 0 || a.kind !== "consent") return rank;
  const fallback = (value: ConsentFallback | undefined) => (value === undefined ? -1 : FALLBACK_RANK[value]);
  return (
    fallback(a.onRefusal) - fallback(b.onRefusal) ||
    fallback(a.onSilence) - fallback(b.onSilence) ||
    (b.timeoutSeconds ?? 0) - (a.timeoutSeconds ?? 0)
  );
}

const keyOf = (r: ConsentRequirement): Strictness =>
  r.require === "consent" ? { kind: r.require, ...r } : { kind: r.require };

/**
 * Positive when `a` is stricter than `b`: the requirement (consent > notice > none), then for consents the refusal
 * action, then the silence action, then the shorter timeout (less time the call is held unrecorded).
 */
export function compareStrictness(a: ConsentRequirement, b: ConsentRequirement): number {
  return compareKeys(keyOf(a), keyOf(b));
}

/** The same order between two decisions (e.g. of two recording teams' rules on one call). */
export function compareDecisions(a: ConsentDecision, b: ConsentDecision): number {
  const keyOfDecision = (d: ConsentDecision): Strictness =>
    d.requirement === "consent" ? { kind: d.requirement, ...d } : { kind: d.requirement };
  return compareKeys(keyOfDecision(a), keyOfDecision(b));
}

/**
 * The entry of a consent block that applies to a jurisdiction: the strictest of the named sets that cover it
 * (a jurisdiction may be in several sets; order in the file does not matter), `unknown` for an unknown one, else
 * `*`; undefined when none applies (the jurisdiction is unhandled by the rule).
 */
export function entryFor(
  entries: readonly ConsentEntry[],
  jurisdiction: Jurisdiction,
  sets: JurisdictionSets,
): ConsentEntry | undefined {
  const named =
    jurisdiction === UNKNOWN_JURISDICTION
      ? entries.filter((entry) => entry.set === UNKNOWN_JURISDICTION)
      : entries.filter((entry) => {
          const set = sets.get(entry.set);
          return set !== undefined && setCovers(set, jurisdiction);
        });
  const strictest = named.reduce<ConsentEntry | undefined>(
    (chosen, entry) => (!chosen || compareStrictness(entry.requirement, chosen.requirement) > 0 ? entry : chosen),
    undefined,
  );
  return strictest ?? entries.find((entry) => entry.set === ANY_JURISDICTION);
}

/** The set names a consent block uses that the jurisdiction sets do not define (`unknown` and `*` are not sets). */
export function undefinedSets(entries: readonly ConsentEntry[], sets: JurisdictionSets): string[] {
  return entries
    .map((entry) => entry.set)
    .filter((name) => name !== UNKNOWN_JURISDICTION && name !== ANY_JURISDICTION && !sets.has(name));
}

/**
 * The message for the deciding party: the translation whose region is the party's country (`fr-CA` for `CA-QC`,
 * first in file order when several are), else the message's own locale.
 */
export function messageFor(message: SpokenMessage, jurisdiction: Jurisdiction): PlayedMessage {
  if ("audioUrl" in message) return { audioUrl: message.audioUrl };
  const country = countryOf(jurisdiction);
  const regionOf = (tag: string) => tag.split("-").find((part, i) => i > 0 && /^[A-Za-z]{2}$/.test(part));
  if (country && regionOf(message.locale)?.toUpperCase() !== country) {
    const translation = Object.entries(message.localized).find(([tag]) => regionOf(tag)?.toUpperCase() === country);
    if (translation) return { text: translation[1], locale: translation[0] };
  }
  return { text: message.text, locale: message.locale };
}

const WORDS: Record<ConsentRequirementKind, string> = {
  none: "nothing needs to be said",
  notice: "everyone is told the call is recorded",
  consent: "nothing of the call is recorded until consent is given",
};

function explain(
  rule: ConsentRule,
  parties: PartyConsent[],
  decidedBy: DecidedBy | undefined,
  kind: ConsentRequirementKind,
) {
  const who = parties.map(
    (p) =>
      `${p.party} is in ${p.jurisdiction} (${p.detail}): ${p.set === null ? "not handled by the rule" : `${p.set} → ${p.requirement}`}`,
  );
  const head = decidedBy
    ? `Consent (rule ${rule.id}): ${kind} — decided by ${decidedBy.party} in ${decidedBy.jurisdiction} (${decidedBy.set}): ${WORDS[kind]}.`
    : `Consent (rule ${rule.id}): none — ${rule.consent ? "no party is covered by an entry of the consent block" : "the rule has no consent block"}.`;
  return [head, ...who.map((line) => `${line}.`)].join(" ");
}

/**
 * What the call requires before and while it is recorded: pure, deterministic for the same parties in the same
 * order (ties between equally strict parties go to the earlier one). A rule without a consent block requires
 * nothing (its `announcement`, if any, is played as before).
 */
export function consentDecision(parties: readonly string[], rule: ConsentRule, ctx: ConsentContext): ConsentDecision {
  const entries = rule.consent?.entries ?? [];
  let decider: { party: PartyConsent; entry: ConsentEntry } | undefined;
  const judged: PartyConsent[] = parties.map((rawId) => {
    const where = jurisdictionOfParty(rawId, ctx);
    const entry = rule.consent ? entryFor(entries, where.jurisdiction, ctx.sets) : undefined;
    const party: PartyConsent = {
      ...where,
      set: entry?.set ?? null,
      requirement: entry?.requirement.require ?? "none",
    };
    if (entry && (!decider || compareStrictness(entry.requirement, decider.entry.requirement) > 0)) {
      decider = { party, entry };
    }
    return party;
  });
  const unhandled = rule.consent ? [...new Set(judged.filter((p) => p.set === null).map((p) => p.jurisdiction))] : [];
  const base = { ruleId: rule.id, parties: judged, unhandled };
  if (!decider) return { ...base, requirement: "none", explanation: explain(rule, judged, undefined, "none") };
  const { party, entry } = decider;
  const decidedBy: DecidedBy = {
    party: party.party,
    jurisdiction: party.jurisdiction,
    set: entry.set,
    source: party.source,
  };
  const requirement = entry.requirement;
  const explanation = explain(rule, judged, decidedBy, requirement.require);
  switch (requirement.require) {
    case "none":
      return { ...base, requirement: "none", decidedBy, explanation };
    case "notice":
      return {
        ...base,
        requirement: "notice",
        decidedBy,
        announcement: messageFor(requirement.announcement, party.jurisdiction),
        explanation,
      };
    case "consent":
      return {
        ...base,
        requirement: "consent",
        decidedBy,
        prompt: messageFor(requirement.prompt, party.jurisdiction),
        accept: requirement.accept,
        timeoutSeconds: requirement.timeoutSeconds,
        onRefusal: requirement.onRefusal,
        onSilence: requirement.onSilence,
        explanation,
      };
  }
}
