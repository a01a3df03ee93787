// Consent and notice by jurisdiction (docs/consent.md): where each party is, what a rule requires there, and the
// decision the strictest party makes for the whole call. Everything here is pure data and pure functions; the
// files are read by load.ts, the directory is a lookup passed in.

/**
 * Where a party is: an ISO 3166-1 alpha-2 country (`GB`), a country with an ISO 3166-2 subdivision (`US-CA`,
 * `CA-QC`), `US-unknown` / `CA-unknown` (a +1 number whose area code does not tell the state or province), or
 * `unknown` — nothing placed the party: a jurisdiction of its own that a policy must handle.
 */
export type Jurisdiction = string;
export const UNKNOWN_JURISDICTION = "unknown";
/** The consent entry that applies to every jurisdiction no named set of the rule covers (`unknown` included). */
export const ANY_JURISDICTION = "*";

/** How a party's jurisdiction was found, in the order they are tried. */
export type JurisdictionSource =
  /** The team directory's `location` of this identity (ACS and Teams users; a number may be listed too). */
  | "directory"
  /** A phone number's country (libphonenumber-js), and for US and Canadian numbers the area code's state or province. */
  | "phone-number"
  /** The `team.defaultLocation` of the party's team (members only). */
  | "team-default"
  /** Nothing said where the party is. */
  | "none";

export interface PartyJurisdiction {
  /** Raw id (`4:+1…`, `8:acs:…`, `8:orgid:…`). */
  party: string;
  jurisdiction: Jurisdiction;
  source: JurisdictionSource;
  /** In words: which number, area code, directory entry or team default said so, or why nothing did. */
  detail: string;
}

/** NANP area code (three digits) → `US-XX` or `CA-XX` (policies/jurisdictions.nanp-area-codes.yaml). */
export type AreaCodeTable = ReadonlyMap<string, string>;

export interface JurisdictionContext {
  areaCodes: AreaCodeTable;
  /** The team directory's `location` for an identity (raw id), if it lists one. */
  directoryLocation?: (rawId: string) => string | undefined;
  /** The default location of the team the party is a member of, if it has one. */
  teamDefaultLocation?: (rawId: string) => { teamId: string; location: string } | undefined;
}

/** A named, editable list of jurisdictions (policies/jurisdictions.sets.yaml). */
export interface JurisdictionSet {
  name: string;
  description?: string;
  /** Where the list comes from: the customer's counsel should check it, lists differ. */
  sources: string[];
  /** `US-CA` covers that state only; `US` covers the country and every subdivision of it. */
  jurisdictions: Jurisdiction[];
}

export type JurisdictionSets = ReadonlyMap<string, JurisdictionSet>;

// --- The `consent:` block of a recording rule, as the decision reads it (after parsing and defaults). ---

export type ConsentRequirementKind = "none" | "notice" | "consent";

/** What happens when a party refuses, or says nothing before the timeout. */
export type ConsentFallback =
  /** Nothing of the call is recorded, and the call goes on. */
  | "record-nothing"
  /** The call is ended for everyone. */
  | "end-call"
  /** Only our side is kept: the unmixed channels of the team's members (needs `recording.channel: unmixed`). */
  | "record-our-side-only";

/** Something said to the parties: text read out in a locale (with translations by locale), or an audio file. */
export type SpokenMessage =
  { text: string; locale: string; localized: Readonly<Record<string, string>> } | { audioUrl: string };

/** A message as played for one call: the locale chosen for the deciding party. */
export type PlayedMessage = { text: string; locale: string } | { audioUrl: string };

/** The answers that count as consent: DTMF keys (`1`) and spoken phrases; any other answer is a refusal. */
export interface ConsentAccept {
  /** Keys as printed on a keypad: `0`–`9`, `*`, `#`. */
  dtmf: string[];
  /** Phrases, compared case- and punctuation-insensitively as whole words (docs/consent.md "Answers"). */
  speech: string[];
}

export type ConsentRequirement =
  | { require: "none" }
  | { require: "notice"; announcement: SpokenMessage }
  | {
      require: "consent";
      prompt: SpokenMessage;
      accept: ConsentAccept;
      /** How long to wait for an answer (Call Automation recognize's initial silence timeout). */
      timeoutSeconds: number;
      onRefusal: ConsentFallback;
      onSilence: ConsentFallback;
    };

/** One entry of a rule's `consent:` block: a set name (`eu`), `unknown`, or `*`. */
export interface ConsentEntry {
  set: string;
  requirement: ConsentRequirement;
}

/** A rule's `consent:` block: its entries in file order. */
export interface ConsentPolicy {
  entries: ConsentEntry[];
}

/** What consentDecision needs of a rule. */
export interface ConsentRule {
  id: string;
  consent?: ConsentPolicy;
}

export interface ConsentContext extends JurisdictionContext {
  sets: JurisdictionSets;
}

/** One party as judged: where it is, the entry of the rule that covers it, and what that entry requires. */
export interface PartyConsent extends PartyJurisdiction {
  /** The entry that applies (a set name, `unknown` or `*`); null when the rule has no entry for it (unhandled). */
  set: string | null;
  requirement: ConsentRequirementKind;
}

export interface DecidedBy {
  party: string;
  jurisdiction: Jurisdiction;
  /** The entry of the rule (a set name, `unknown` or `*`). */
  set: string;
  source: JurisdictionSource;
}

interface ConsentDecisionBase {
  ruleId: string;
  /** Every party, in the order given, as judged. */
  parties: PartyConsent[];
  /** Jurisdictions of parties on this call that the rule has no entry for (nothing is asked for them). */
  unhandled: Jurisdiction[];
  /** One paragraph in words: who decided, where they are, what is required. */
  explanation: string;
}

/**
 * The decision for a call: the strictest party decides (consent > notice > none; among consents the strictest
 * refusal action, end-call > record-nothing > record-our-side-only, then the strictest silence action).
 */
export type ConsentDecision =
  | (ConsentDecisionBase & {
      requirement: "none";
      /** Absent when the rule has no consent block or no party is covered by an entry. */
      decidedBy?: DecidedBy;
    })
  | (ConsentDecisionBase & { requirement: "notice"; decidedBy: DecidedBy; announcement: PlayedMessage })
  | (ConsentDecisionBase & {
      requirement: "consent";
      decidedBy: DecidedBy;
      prompt: PlayedMessage;
      accept: ConsentAccept;
      timeoutSeconds: number;
      onRefusal: ConsentFallback;
      onSilence: ConsentFallback;
    });
