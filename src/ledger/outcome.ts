import type { Decision } from "../policy/index.js";

/**
 * The completeness ledger's pure part: the outcome of a call from its decision, and what counts as a gap.
 * Outcomes: `recorded` (with its manifest), `exempt` (a rule said no), `not-required` (nobody or nothing
 * required it), `pending` (required, not archived yet), `failed` (required, and ingest gave up: reason).
 */
export type LedgerOutcome = "recorded" | "exempt" | "not-required" | "pending" | "failed";

export interface LedgerEntry {
  serverCallId: string;
  correlationId?: string;
  outcome: LedgerOutcome;
  reason?: string;
  teamId?: string;
  ruleId?: string;
  policyHash?: string;
  /** The last recording archived (every one is in `recordings`). */
  recordingId?: string;
  manifest?: string;
  endedAt?: string;
  /** When the entry last changed, ISO 8601. */
  updatedAt: string;
  /** Enforcement actions taken on the call, in order (read-only here: appended with `noteAction`). */
  actions?: LedgerAction[];
  /** Every recording of the call archived so far (a restarted recording is a second one), oldest first. */
  recordings?: LedgerRecording[];
  /**
   * Recordings stopped on purpose, in order (read-only here: appended with `noteStop`). A stop is no failure: the
   * call is `recorded` once its recordings are archived, each ending where it was stopped.
   */
  stops?: LedgerStop[];
  /**
   * Consent or notice by jurisdiction (docs/consent-flow.md): what was asked, of whom, and what came of it. Part of the
   * entry, so of the ledger chain's line for it.
   */
  consent?: ConsentRecord;
}

/** The consent evidence of a call as the ledger and a recording's manifest keep it (flat, one line per field). */
export interface ConsentRecord {
  /** In one line: who was asked what, and what came of it. */
  summary: string;
  requirement: "notice" | "consent";
  decidedBy: { party: string; jurisdiction: string; set: string };
  /** The participant asked (consent only). */
  target?: string;
  askedAt: string;
  /** given, refused, silent, failed (could not be asked or answered), notified, notice-failed; absent: no answer. */
  outcome?: "given" | "refused" | "silent" | "failed" | "notified" | "notice-failed";
  answeredAt?: string;
  /** What was heard: `dtmf 1`, `speech "yes"`. */
  heard?: string;
  /** The accepted key or phrase it matched. */
  matched?: string;
  /** What the policy said to do, for a refusal or silence. */
  fallback?: "record-nothing" | "end-call" | "record-our-side-only";
  /** ACS's result sub-code of the recognize or play (8510: initial silence timeout). */
  subCode?: number;
  /**
   * All-party consent (more than one person asked): each party's ask and answer, in the order asked. The flat fields
   * above are then those of the party that settled it (who refused or was silent, else the last to consent).
   * Absent for one party (and in records written before it existed).
   */
  parties?: {
    party: string;
    askedAt?: string;
    outcome?: "given" | "refused" | "silent" | "failed" | "notified" | "notice-failed";
    answeredAt?: string;
    heard?: string;
    matched?: string;
    subCode?: number;
  }[];
}

/** A recording stopped on purpose: by scope (nobody in scope left on the call) or on an operator's request. */
export interface LedgerStop {
  recordingId: string;
  trigger: "scope" | "request";
  by: string;
  reason: string;
  at: string;
}

/** One archived recording of a call, by its own key (recordingId, or `doc-<documentId>`). */
export interface LedgerRecording {
  recordingId: string;
  manifest: string;
  at: string;
}

/**
 * A recording archived in the quarantine area (docs/archive.md): its call not found, or recorded by no policy.
 * It is a gap until an operator assigns it to its call (`recorder recordings assign`).
 */
export interface QuarantineEntry {
  /** The recording's key, as in its blob names. */
  recordingId: string;
  /** ACS's call id the recording event named. */
  callId?: string;
  /** The call, when it was found (but no policy records it). */
  serverCallId?: string;
  reason: string;
  /** `archiving` until its manifest is written; `assigned` once moved to its call's layout. */
  state: "archiving" | "archived" | "assigned";
  /** The quarantine manifest, once every chunk is archived. */
  manifest?: string;
  quarantinedAt: string;
  updatedAt: string;
  assigned?: { serverCallId: string; teamId: string; manifest: string; by: string; at: string; reason: string };
}

/** One enforcement action on a call, with why it was taken. */
export interface LedgerAction {
  at: string;
  /**
   * incoming-call: the call was refused while ringing because it could not be recorded; deadline: recording
   * not in place in time; start-failed: ACS reported StartRecordingFailed; mid-call: recording stopped;
   * after-call: no recording arrived.
   */
  trigger: "incoming-call" | "deadline" | "start-failed" | "mid-call" | "after-call" | "consent";
  /** `record-nothing`: consent was not given, so nothing is recorded (trigger `consent`). */
  action: "reject" | "hang-up" | "alert" | "resume" | "restart" | "record-nothing" | "record-our-side-only";
  reason: string;
}

/** What the decision alone says of a call that has ended. */
export function outcomeOfDecision(
  decision: Decision | undefined,
): Pick<LedgerEntry, "outcome" | "reason" | "teamId" | "ruleId" | "policyHash"> {
  if (!decision) return { outcome: "not-required", reason: "no decision (no facts about the call)" };
  const source =
    "teamId" in decision ? { teamId: decision.teamId, ruleId: decision.ruleId, policyHash: decision.policyHash } : {};
  if (decision.record) return { outcome: "pending", reason: "awaiting the recording", ...source };
  if (decision.reason === "rule" || decision.reason === "exempt")
    return { outcome: "exempt", reason: `${decision.reason}: ${decision.explanation}`, ...source };
  return { outcome: "not-required", reason: `${decision.reason}: ${decision.explanation}`, ...source };
}

/** A quarantined recording is a gap until it is assigned to its call. */
export function isQuarantineGap(entry: QuarantineEntry): boolean {
  return entry.state !== "assigned";
}

/**
 * A gap is a call that should have a recording and does not: failed, or still pending longer after its end
 * than the grace period (ACS publishes a recording a few minutes after the call; docs/acs-payloads.md "Event Grid events").
 */
export function isGap(entry: LedgerEntry, now: Date, graceMs: number): boolean {
  if (entry.outcome === "failed") return true;
  if (entry.outcome !== "pending") return false;
  const since = Date.parse(entry.endedAt ?? entry.updatedAt);
  return Number.isNaN(since) || now.getTime() - since > graceMs;
}
