import { classifyAcsError } from "../../../src/acs/index.js";
import type { LedgerAction } from "../../../src/ledger/index.js";
import { enforcementActions } from "../../../src/metrics.js";
import type { JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

/** One enforcement action, as both enforcement jobs describe it. */
export interface EnforcementRecord {
  serverCallId: string;
  trigger: LedgerAction["trigger"];
  action: LedgerAction["action"];
  /** The policy mode of the call's decision ("none" without one). */
  mode: string;
  reason: string;
  /** Log context (serverCallId, correlationId, recordingId, …) and the log line. */
  context: Record<string, unknown>;
  message: string;
}

/**
 * Puts an enforcement action on record: the metric, the call's ledger entry and a log line. Restoring a
 * recording is a warning; ending a call or alerting is an error with `alert: true`.
 */
export async function recordEnforcement(deps: JobDependencies<"ledger">, record: EnforcementRecord): Promise<void> {
  const { serverCallId, trigger, action, mode, reason, context, message } = record;
  enforcementActions.inc({ trigger, action, mode });
  await deps.ledger.noteAction(serverCallId, { at: new Date().toISOString(), trigger, action, reason });
  if (action === "resume" || action === "restart") deps.logger.warn({ ...context, enforcement: action }, message);
  else deps.logger.error({ ...context, alert: true, enforcement: action }, message);
}

/** Ends the call for everyone; false when it had already ended (nothing left to enforce). */
export async function hangUpForEveryone(
  deps: JobDependencies<"acs">,
  callConnectionId: string,
  context: Record<string, unknown>,
): Promise<boolean> {
  try {
    await deps.acs.getCallConnection(callConnectionId).hangUp(true);
    return true;
  } catch (error) {
    if (classifyAcsError(error).outcome === "call-gone") return false;
    rethrowAcsError(error, deps.logger, context, "enforcement hang-up");
  }
}
