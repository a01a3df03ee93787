/**
 * Where a recording is archived and how it is protected (pure; docs/archive.md). A recording of a call that a
 * policy records goes to the team's layout with the decision's retention. Any other recording — its call not
 * found, or found but recorded by no policy — is still archived, verified and protected, in the quarantine area,
 * with the longest retention any loaded policy asks for: never with none.
 */
import type { CorrelationVia } from "../correlation/index.js";
import type { Decision, Retention, TeamPolicy } from "../policy/index.js";
import type { CallSession } from "../sessions/index.js";

interface Protection {
  /** Retention days and legal hold. */
  retention: Retention;
  /** The trusted time retention counts from (docs/archive.md "Retention"). */
  retainFrom: string;
}

export interface CallPlacement extends Protection {
  kind: "call";
  serverCallId: string;
  via: CorrelationVia;
  teamId: string;
  ruleId: string;
  policyHash: string;
  mode: "required" | "best-effort";
  policySetHash?: string;
}

export interface QuarantinePlacement extends Protection {
  kind: "quarantine";
  reason: string;
  /** The call, when it was found but no policy records it. */
  serverCallId?: string;
  via?: CorrelationVia;
}

export type Placement = CallPlacement | QuarantinePlacement;

/**
 * The longest retention any loaded policy asks for, and a legal hold if any policy holds. With neither (no
 * policy sets days or a hold), a legal hold: a quarantined recording is never left unprotected.
 */
export function quarantineRetention(policies: readonly TeamPolicy[]): Retention {
  let days: number | null = null;
  let legalHold = false;
  for (const policy of policies)
    for (const rule of policy.rules) {
      if (rule.mode === "never") continue;
      if (rule.retention.days !== null && (days === null || rule.retention.days > days)) days = rule.retention.days;
      legalHold ||= rule.retention.legalHold;
    }
  return { days, legalHold: legalHold || days === null };
}

/**
 * Retention counts from a time of our own, never from a value the recording event alone carries (its
 * `recordingStartTime` could be anything): when the webhook received the call's first event (IncomingCall or
 * CallStarted), else the call's start as the events told it, else when we first saw the recording event.
 */
export function retentionBase(
  session: Pick<CallSession, "rangSeenAt" | "startedSeenAt" | "startedAt"> | undefined,
  firstSeenAt: string,
): string {
  const seen = [session?.rangSeenAt, session?.startedSeenAt]
    .filter((t): t is string => !!t && Number.isFinite(Date.parse(t)))
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const start = session?.startedAt && Number.isFinite(Date.parse(session.startedAt)) ? session.startedAt : undefined;
  return seen[0] ?? start ?? firstSeenAt;
}

export interface PlacementInput {
  serverCallId: string | undefined;
  via: CorrelationVia | undefined;
  /** The call id the recording event named, for the quarantine reason. */
  callId: string | undefined;
  decision: Decision | undefined;
  session: Pick<CallSession, "rangSeenAt" | "startedSeenAt" | "startedAt"> | undefined;
  firstSeenAt: string;
  policies: readonly TeamPolicy[];
}

export function placeRecording(input: PlacementInput): Placement {
  const { serverCallId, via, decision } = input;
  const retainFrom = retentionBase(serverCallId ? input.session : undefined, input.firstSeenAt);
  const quarantine = (reason: string): QuarantinePlacement => ({
    kind: "quarantine",
    reason,
    ...(serverCallId ? { serverCallId } : {}),
    ...(via ? { via } : {}),
    retention: quarantineRetention(input.policies),
    retainFrom,
  });
  if (!serverCallId || !via) return quarantine(`no call found for ACS call id ${input.callId ?? "(none)"}`);
  if (!decision) return quarantine(`call ${serverCallId} has no policy decision (none of its calling events seen)`);
  if (!decision.record)
    return quarantine(`no policy records call ${serverCallId} (${decision.reason}: ${decision.explanation})`);
  return {
    kind: "call",
    serverCallId,
    via,
    teamId: decision.teamId,
    ruleId: decision.ruleId,
    policyHash: decision.policyHash,
    mode: decision.mode,
    ...(decision.policySetHash ? { policySetHash: decision.policySetHash } : {}),
    retention: decision.retention ?? { days: null, legalHold: false },
    retainFrom,
  };
}
