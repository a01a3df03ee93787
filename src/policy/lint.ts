import {
  ANY_JURISDICTION,
  compareStrictness,
  entryFor,
  UNKNOWN_JURISDICTION,
  type ConsentPolicy,
  type ConsentRequirement,
  type JurisdictionData,
} from "../consent/index.js";
import { entriesOverlap, patternCovers } from "./identity.js";
import { describeMatch } from "./match.js";
import type { Exemption, MatchConditions, RecordingRule, TeamPolicy } from "./types.js";

/** Something legal but probably not what the policy owner meant; printed by lint, never fatal. */
export interface LintWarning {
  /** `file:line:column` (or the file) */
  where: string;
  message: string;
}

const subset = <T>(inner: readonly T[] | undefined, outer: readonly T[]) =>
  !!inner && inner.every((v) => outer.includes(v));

/** Whether every call that satisfies `later` also satisfies `earlier` (conservative: false when unsure). */
export function covers(earlier: MatchConditions, later: MatchConditions): boolean {
  if (earlier.direction && !subset(later.direction, earlier.direction)) return false;
  if (earlier.counterpart && !subset(later.counterpart, earlier.counterpart)) return false;
  if (earlier.scope && earlier.scope !== later.scope) return false;
  if (earlier.shape && earlier.shape !== later.shape) return false;
  if (earlier.numbers) {
    const outer = earlier.numbers;
    if (!later.numbers?.every((inner) => outer.some((pattern) => patternCovers(pattern, inner)))) return false;
  }
  if (earlier.time && JSON.stringify(earlier.time) !== JSON.stringify(later.time)) return false;
  return true;
}

/** Why conditions can never hold together, if they cannot. */
export function contradiction(match: MatchConditions): string | undefined {
  const onlyInternal = match.direction?.every((d) => d === "internal");
  if (onlyInternal && (match.counterpart || match.numbers || match.scope === "external")) {
    return "direction internal means everyone on the call is in the team, so there is no counterpart to match";
  }
  return undefined;
}

/** An exemption that applies to every call matching its conditions, whoever is on it and whenever. */
const unconditional = (exemption: Exemption) => !exemption.members && !exemption.until;

function teamWarnings(policy: TeamPolicy, today: string): LintWarning[] {
  const warnings: LintWarning[] = [];
  const ruleAt = (i: number) => policy.positions?.rules[i] ?? policy.file;
  const exemptionAt = (i: number) => policy.positions?.exemptions[i] ?? policy.file;

  policy.exemptions.forEach((exemption, i) => {
    const where = exemptionAt(i);
    if (exemption.until && exemption.until < today) {
      warnings.push({
        where,
        message: `exemption ${exemption.id} expired after ${exemption.until}: it no longer applies; remove it`,
      });
    }
    const impossible = contradiction(exemption.match);
    if (impossible) warnings.push({ where, message: `exemption ${exemption.id} can never apply: ${impossible}` });
    const shadow = policy.exemptions
      .slice(0, i)
      .find((earlier) => unconditional(earlier) && covers(earlier.match, exemption.match));
    if (shadow)
      warnings.push({
        where,
        message: `exemption ${exemption.id} is unreachable: exemption ${shadow.id} above already covers its calls`,
      });
  });

  policy.rules.forEach((rule, i) => {
    const where = ruleAt(i);
    const impossible = contradiction(rule.match);
    if (impossible) warnings.push({ where, message: `rule ${rule.id} can never match: ${impossible}` });
    const exemption = policy.exemptions.find((e) => unconditional(e) && covers(e.match, rule.match));
    const earlier = policy.rules.slice(0, i).find((r) => covers(r.match, rule.match));
    if (exemption) {
      warnings.push({
        where,
        message: `rule ${rule.id} is unreachable: exemption ${exemption.id} applies to all its calls first`,
      });
    } else if (earlier) {
      const what = describeMatch(earlier.match);
      warnings.push({
        where,
        message: `rule ${rule.id} is unreachable: rule ${earlier.id} above matches all its calls first (${what})`,
      });
    }
    if (rule.mode === "best-effort" && rule.samplePercent === 0) {
      warnings.push({
        where,
        message: `rule ${rule.id} samples 0% of its calls: it never records; use mode never to say so`,
      });
    }
  });

  const catchAll = policy.rules.some((rule) => Object.keys(rule.match).length === 0);
  if (!catchAll) {
    warnings.push({
      where: ruleAt(policy.rules.length - 1),
      message: `calls of team ${policy.team.id} that match no rule are not recorded (no-rule-matched); end with a rule without match to say what happens to them`,
    });
  }
  return warnings;
}

function memberWarnings(policies: readonly TeamPolicy[]): LintWarning[] {
  const warnings: LintWarning[] = [];
  const entries = policies.flatMap((policy) =>
    policy.members.map((entry, i) => ({ policy, entry, where: policy.positions?.members[i] ?? policy.file })),
  );
  entries.forEach((a, i) => {
    for (const b of entries.slice(i + 1)) {
      if (!entriesOverlap(a.entry, b.entry)) continue;
      const same = a.policy === b.policy;
      const overlap = a.entry === b.entry ? `${b.entry} is` : `${b.entry} overlaps ${a.entry}, which is`;
      const message = same
        ? `member ${overlap} already listed in this team (${a.where})`
        : `member ${overlap} also in team ${a.policy.team.id} (${a.where}): calls of this member are judged by both teams`;
      warnings.push({ where: b.where, message });
    }
  });
  return warnings;
}

/** Every jurisdiction the data names: the sets' entries, the area-code table's states and provinces, and the unknowns. */
function knownJurisdictions(data: JurisdictionData): string[] {
  const all = new Set<string>([UNKNOWN_JURISDICTION, "US-unknown", "CA-unknown"]);
  for (const set of data.sets.values()) for (const entry of set.jurisdictions) all.add(entry);
  for (const region of data.areaCodes.values()) all.add(region);
  return [...all].sort();
}

const WORDS: Record<ConsentRequirement["require"], string> = { none: "none", notice: "notice", consent: "consent" };

function strictestOf(consent: ConsentPolicy): ConsentRequirement {
  return consent.entries
    .map((e) => e.requirement)
    .reduce((a, b) => (compareStrictness(b, a) > 0 ? b : a), { require: "none" });
}

function consentWarnings(rule: RecordingRule, where: string, data: JurisdictionData | null | undefined): LintWarning[] {
  const consent = rule.consent;
  if (!consent) return [];
  const warnings: LintWarning[] = [];
  const names = consent.entries.map((e) => e.set);
  const hasAny = names.includes(ANY_JURISDICTION);
  if (!hasAny) {
    const known = data ? knownJurisdictions(data) : [UNKNOWN_JURISDICTION];
    const all = data ? known.filter((j) => !entryFor(consent.entries, j, data.sets)) : known;
    // unknown first; a subdivision is not listed when its whole country is unhandled (every subdivision known too).
    const wholly = new Set(
      all.filter((j) => !j.includes("-") && known.every((k) => !k.startsWith(`${j}-`) || all.includes(k))),
    );
    const left = [
      ...all.filter((j) => j === UNKNOWN_JURISDICTION),
      ...all.filter((j) => j !== UNKNOWN_JURISDICTION && !(j.includes("-") && wholly.has(j.split("-")[0] ?? ""))),
    ];
    const shown = left.slice(0, 12).join(", ");
    const more = left.length > 12 ? ` and ${left.length - 12} more` : "";
    warnings.push({
      where,
      message: `rule ${rule.id}: its consent block has no "*": parties elsewhere are neither told nor asked — unhandled: ${shown}${more}, and every country in none of ${names.join(", ")}`,
    });
  } else if (!names.includes(UNKNOWN_JURISDICTION)) {
    const fallback = consent.entries.find((e) => e.set === ANY_JURISDICTION)?.requirement ?? { require: "none" };
    const strictest = strictestOf(consent);
    if (compareStrictness(strictest, fallback) > 0) {
      warnings.push({
        where,
        message: `rule ${rule.id}: a party nobody could place (unknown: no directory location, number or team default) gets "*" (${WORDS[fallback.require]}), though it may be where this rule asks ${WORDS[strictest.require]}: name unknown in the consent block`,
      });
    }
  }
  for (const entry of consent.entries) {
    const requirement = entry.requirement;
    if (requirement.require !== "consent") continue;
    for (const [field, action] of [
      ["onRefusal", requirement.onRefusal],
      ["onSilence", requirement.onSilence],
    ] as const) {
      if (action !== "record-our-side-only") continue;
      warnings.push({
        where,
        message: `rule ${rule.id}: ${field} record-our-side-only in ${entry.set}: ACS still captures the audio of whoever did not consent — an unmixed recording takes every participant's audio and only splits it into channels (docs/acs-payloads.md "Recording options"); the recording is held at ACS (in ACS's storage, even for storage: customer) until ingest has archived our members' channels and deleted ACS's copy (up to ACS's 24 h if that delete fails); their channel is never archived (docs/consent-flow.md "Our side only")`,
      });
    }
    if (rule.mode !== "required") continue;
    const cases = (
      [
        ["a refusal", requirement.onRefusal],
        ["silence", requirement.onSilence],
      ] as const
    ).filter(([, action]) => action !== "end-call");
    for (const [what, action] of cases) {
      const outcome =
        action === "record-nothing" ? "the call goes on unrecorded" : "the call goes on with only our side recorded";
      warnings.push({
        where,
        message: `rule ${rule.id} is required, but after ${what} in ${entry.set} ${outcome} (${action}): where recording is an obligation (MiFID II), use end-call; if recording is wanted only where lawful, make the rule best-effort`,
      });
    }
  }
  return warnings;
}

function teamConsentWarnings(policy: TeamPolicy, data: JurisdictionData | null | undefined): LintWarning[] {
  const ruleAt = (i: number) => policy.positions?.rules[i] ?? policy.file;
  const recording = policy.rules
    .map((rule, i) => ({ rule, where: ruleAt(i) }))
    .filter((r): r is { rule: RecordingRule; where: string } => r.rule.mode !== "never");
  const asking = recording.find((r) => r.rule.consent);
  const warnings = recording.flatMap((r) => consentWarnings(r.rule, r.where, data));
  if (asking) {
    for (const { rule, where } of recording) {
      if (rule.consent) continue;
      warnings.push({
        where,
        message: `rule ${rule.id} has no consent block while rule ${asking.rule.id} has one: calls it matches are recorded from the start, wherever the parties are`,
      });
    }
  }
  return warnings;
}

/** A US or Canadian subdivision in a set that no area code places (a typo like US-CAL would cover nobody by number). */
function dataWarnings(data: JurisdictionData | null | undefined): LintWarning[] {
  if (!data) return [];
  const placed = new Set(data.areaCodes.values());
  const warnings: LintWarning[] = [];
  for (const set of data.sets.values()) {
    for (const entry of set.jurisdictions) {
      if (/^(US|CA)-(?!unknown$)/.test(entry) && !placed.has(entry)) {
        warnings.push({
          where: "jurisdictions.sets.yaml",
          message: `set ${set.name} lists ${entry}, which no area code of jurisdictions.nanp-area-codes.yaml places: only a directory location or team default can put a party there`,
        });
      }
    }
  }
  return warnings;
}

/**
 * Customer storage (docs/byos.md): a container shared by two teams mixes their recordings under one set of
 * access rules in the customer's account; a URL below a container is a layout Microsoft does not document.
 */
function storageWarnings(policies: readonly TeamPolicy[]): LintWarning[] {
  const warnings: LintWarning[] = [];
  const owner = new Map<string, string>();
  for (const policy of policies) {
    if (!policy.storage) continue;
    const url = new URL(policy.storage.containerUrl);
    const key = `${url.origin}${url.pathname.replace(/\/+$/, "")}`.toLowerCase();
    const first = owner.get(key);
    if (first)
      warnings.push({
        where: policy.file,
        message: `storage container ${policy.storage.containerUrl} is also team ${first}'s: both teams' recordings would share one container and its access rules`,
      });
    else owner.set(key, policy.team.id);
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    const depth = url.pathname.split("/").filter(Boolean).length - (loopback ? 1 : 0);
    if (depth > 1)
      warnings.push({
        where: policy.file,
        message: `storage containerUrl ${policy.storage.containerUrl} points below a container: where ACS writes then is not documented by Microsoft (docs/byos.md); name the container itself`,
      });
  }
  return warnings;
}

/**
 * Warnings for a loaded policy set: overlapping members, unreachable or impossible rules, expired exemptions, shared
 * or undocumented customer storage, and consent blocks that leave jurisdictions unhandled or let a required recording go unmade (docs/consent.md "Lint").
 * `jurisdictions`: the directory's jurisdiction data, to name the jurisdictions left unhandled.
 */
export function lintPolicies(
  policies: readonly TeamPolicy[],
  today: string,
  jurisdictions?: JurisdictionData | null,
): LintWarning[] {
  return [
    ...memberWarnings(policies),
    ...policies.flatMap((policy) => [...teamWarnings(policy, today), ...teamConsentWarnings(policy, jurisdictions)]),
    ...storageWarnings(policies),
    ...dataWarnings(jurisdictions),
  ];
}
