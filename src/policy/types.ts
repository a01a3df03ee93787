// The policy language as the evaluator sees it (after parsing and defaults), and the decision it produces.
// docs/policies.md describes every field for policy owners.

import type { ConsentPolicy } from "../consent/index.js";

export type RecordingContent = "audio" | "audioVideo";
export type RecordingChannel = "mixed" | "unmixed";
export type RecordingFormat = "wav" | "mp3" | "mp4";
export type RecordingMode = "required" | "best-effort" | "never";

/** The options ACS's start-recording takes (docs/acs-payloads.md "Recording options"). */
export interface RecordingOptions {
  content: RecordingContent;
  channel: RecordingChannel;
  format: RecordingFormat;
  pauseOnStart: boolean;
  /** ACS writes into the team's own container ("Bring your own storage", docs/byos.md); absent: ACS's storage. */
  storage?: CustomerStorage;
}

/** A team's own Blob container that ACS writes its recordings into (docs/byos.md). */
export interface CustomerStorage {
  kind: "customer";
  containerUrl: string;
}

/** How a rule asks for unmixed channels to be assigned: team members first, or as ACS detects audio. */
export type ParticipantOrdering = "team-first" | "none";

export interface RuleRecording extends RecordingOptions {
  participantOrdering: ParticipantOrdering;
}

/** Options as decided for one call: the ordering is resolved to raw ids (channel 0 first; empty: as ACS detects). */
export interface RecordingPlan extends RecordingOptions {
  participantOrdering?: string[];
}

/** Direction of a call relative to one team (see docs/policies.md, "Call facts"). */
export type Direction = "inbound" | "outbound" | "internal";
/** Who the people on the call outside the team are. */
export type CounterpartKind = "acs" | "teams" | "pstn";
/** `internal`: every counterpart is a member of some team; `external`: at least one is in no team. */
export type Scope = "internal" | "external";
export type CallShape = "one-to-one" | "group";
export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/** A weekly window in local time; `to` before `from` runs past midnight into the next day. */
export interface TimeWindow {
  days: Weekday[];
  /** "HH:MM" */
  from: string;
  /** "HH:MM", or "24:00" for the end of the day */
  to: string;
}

export interface TimeCondition {
  /** IANA time zone the windows are read in. */
  zone: string;
  windows: TimeWindow[];
}

/** Conditions of a rule or exemption: all given ones must hold; a list holds when any of its values does. */
export interface MatchConditions {
  direction?: Direction[];
  counterpart?: CounterpartKind[];
  scope?: Scope;
  shape?: CallShape;
  /** Counterpart numbers: E.164 (`+442071234567`) or prefixes (`+44800*`). */
  numbers?: string[];
  time?: TimeCondition;
}

export type StartFailureAction = "reject" | "hang-up" | "alert";
export type StopAction = "restart" | "hang-up" | "alert";

/** What the orchestrator does when recording cannot start, or stops (the Teams "required" flags, made explicit). */
export interface Enforcement {
  startWithinSeconds: number;
  onStartFailure: StartFailureAction;
  onStop: StopAction;
}

export interface Retention {
  /** Days to keep the recording immutable; null: no retention period set by this policy. */
  days: number | null;
  legalHold: boolean;
}

export interface PausePolicy {
  /** Whether the recording may be paused mid-call (PCI DSS card capture). */
  allowed: boolean;
  /** Resume automatically after this many seconds of pause; null: no automatic resume. */
  autoResumeSeconds: number | null;
}

/**
 * How long a recording lasts: `call-end`, or `last-in-scope-leaves` (the default) — stopped once no participant the
 * policy is about (a member of a recording team) is on the call, started again if one comes back; as Teams
 * policy-based recording follows its policy user, and as data minimisation asks (docs/policies.md "How long a
 * recording lasts").
 */
export type RecordingUntil = "call-end" | "last-in-scope-leaves";
export const DEFAULT_UNTIL: RecordingUntil = "last-in-scope-leaves";

export interface StopPolicy {
  /** Whether the recording may be stopped on request; never for a required recording. */
  allowed: boolean;
  /** The reason codes a stop request may give (non-empty when allowed). */
  reasons: string[];
}

export type Announcement = { text: string; locale?: string } | { audioUrl: string };

interface RuleBase {
  id: string;
  description?: string;
  match: MatchConditions;
}

export interface RecordingRule extends RuleBase {
  mode: "required" | "best-effort";
  recording: RuleRecording;
  announcement?: Announcement;
  enforcement: Enforcement;
  retention: Retention;
  pause: PausePolicy;
  /** Share of matching calls recorded (best-effort QA sampling); 100 for required rules. */
  samplePercent: number;
  until: RecordingUntil;
  stop: StopPolicy;
  /** Consent and notice by jurisdiction (docs/consent.md); absent: nobody is asked, `announcement` is played as it is. */
  consent?: ConsentPolicy;
}

export interface NeverRule extends RuleBase {
  mode: "never";
  reason?: string;
}

export type PolicyRule = RecordingRule | NeverRule;

/** A do-not-record entry: checked before the rules; the call's metadata is still kept in the ledger. */
export interface Exemption {
  id: string;
  reason: string;
  /** Only when every member of the team on the call is one of these (personal exemptions). */
  members?: string[];
  match: MatchConditions;
  /** Last day (UTC, inclusive, YYYY-MM-DD) the exemption applies. */
  until?: string;
}

/** One team's policy file as loaded: its content hash is what every decision cites. */
export interface TeamPolicy {
  file: string;
  hash: string;
  /** `defaultLocation`: where members are when the directory does not say (ISO 3166, `GB`, `US-CA`). */
  team: { id: string; name: string; defaultLocation?: string };
  /** Where ACS writes the team's recordings; absent: ACS's own storage (docs/byos.md). */
  storage?: CustomerStorage;
  /** ACS/Teams raw ids (`8:acs:…`), E.164 numbers (`+14255550100`) and number prefixes (`+44800*`). */
  members: string[];
  exemptions: Exemption[];
  rules: PolicyRule[];
  /** `file:line:column` of each entry, for lint messages; absent for policies built in code. */
  positions?: { members: string[]; exemptions: string[]; rules: string[] };
}

/** What we know of a call when deciding; identities are raw ids (`8:acs:…`, `4:+1…`, `8:orgid:…`). */
export interface CallFacts {
  /** Every participant known so far, caller and callee included. */
  participants: string[];
  /** Who placed the call and whom it was for (IncomingCall `from` / `to`), when known. */
  caller?: string | undefined;
  callee?: string | undefined;
  /** When the call started (ISO 8601, from CallStarted or IncomingCall); time windows are judged on it. */
  at?: string | undefined;
  /** A stable id of the call (the serverCallId): the key of deterministic QA sampling. */
  callKey?: string | undefined;
}

/** What one team's policy said about the call. */
export type TeamOutcome = "record" | "not-sampled" | "never" | "exempt" | "no-rule-matched";

export interface TeamContribution {
  teamId: string;
  teamName: string;
  policyFile: string;
  policyHash: string;
  /** This team's members on the call. */
  members: string[];
  /** The call as this team sees it ("unknown" when the caller is not known yet). */
  direction: Direction | "unknown";
  scope: Scope;
  shape: CallShape;
  outcome: TeamOutcome;
  /** The rule or exemption that decided for this team (absent when none matched). */
  ruleId?: string;
  matchedBy?: "rule" | "exemption";
  mode?: RecordingMode;
  /** An exemption's or never rule's stated reason. */
  reason?: string;
  /** Best-effort sampling: the call's bucket (0–9999) and whether it fell in the sample. */
  sampling?: { percent: number; bucket: number | null; sampled: boolean };
  /** Local time the time windows were judged on, when a time condition was evaluated. */
  localTime?: string;
  /** One sentence in words. */
  summary: string;
}

export interface DecisionSource {
  teamId: string;
  ruleId: string;
  policyFile: string;
  policyHash: string;
}

// Decisions are stored with the call (Redis) and read back by other processes, possibly of an older or newer
// version during a rolling upgrade: the fields added after the first release are optional in this contract.
// decide() always sets every one of them.

interface DecisionCommon {
  explanation: string;
  /** Every team with a member on the call, in policy file order. */
  contributions?: TeamContribution[];
  /** SHA-256 over every loaded file's name and hash: the whole policy set this decision was made with. */
  policySetHash?: string;
}

export interface RecordDecision extends DecisionCommon, DecisionSource {
  record: true;
  /** `required` when any recording team requires it. */
  mode: Exclude<RecordingMode, "never">;
  recording: RecordingPlan;
  enforcement?: Enforcement;
  retention?: Retention;
  pause?: PausePolicy;
  announcement?: Announcement;
  /** How long the recording lasts: `call-end` when any recording team asks for it, else `last-in-scope-leaves`. */
  until?: RecordingUntil;
  /**
   * The participants the recording is for: the recording teams' members on the call (raw ids). With
   * `last-in-scope-leaves`, the recording runs while one of them is present (src/calls/scope.ts).
   */
  inScope?: string[];
  /** Stopping on request: allowed only when every recording team allows it, for the reasons all of them accept. */
  stop?: StopPolicy;
  /** Which team each combined setting came from. */
  settingsFrom?: {
    recording: string;
    enforcementStart: string;
    enforcementStop: string;
    retention: string;
    announcement?: string;
    /** The team whose `until` holds (with `call-end`, the first team that asks for it). */
    until?: string;
  };
}

export interface NotRecordedByRule extends DecisionCommon, DecisionSource {
  record: false;
  /** `rule`: a never rule; `exempt`: a do-not-record exemption; `not-sampled`: outside a best-effort QA sample. */
  reason: "rule" | "exempt" | "not-sampled";
}

export interface NotRecordedByNobody extends DecisionCommon {
  record: false;
  /** `no-team-member`: nobody on the call is in a team; `no-rule-matched`: members, but none of their rules matched. */
  reason: "no-team-member" | "no-rule-matched";
}

export type Decision = RecordDecision | NotRecordedByRule | NotRecordedByNobody;
