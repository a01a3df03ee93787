import { classifyAcsError } from "../../src/acs/errors.js";
import type { PayloadOf } from "../../src/queues/index.js";
import type { WorkerDependencies } from "../dependencies.js";
import { recordEnforcement } from "./enforcement.js";

/**
 * Refuses a ringing call that the policy says must not go on unrecorded, when recording is already known to
 * be impossible (call-event.ts decides, src/sessions/enforcement.ts `incomingCallAction`). The call ends
 * before anyone answers; its ledger entry is `failed` with the reason. If it can no longer be rejected
 * (answered meanwhile), it is handled like any other call: the ring watchdog joins it and the recording
 * deadline applies. The incoming call context is never logged.
 */
export async function perform(deps: WorkerDependencies, payload: PayloadOf<"reject-call">) {
  const { serverCallId, correlationId, incomingCallContext, reason } = payload;
  const context = { serverCallId, correlationId, reason };
  try {
    await deps.acs.rejectCall(incomingCallContext, { callRejectReason: "forbidden" });
  } catch (error) {
    const meaning = classifyAcsError(error);
    if (meaning.retry) throw error;
    deps.logger.warn(
      { ...context, outcome: meaning.outcome, detail: meaning.description },
      "could not reject the call",
    );
    // No longer ringing: fall back to joining it once answered, so the deadline can act.
    if (await deps.sessions.claim(serverCallId, "ring-watch"))
      await deps.queues.enqueue("connect-ringing", { serverCallId, correlationId });
    return { rejected: false };
  }
  // No CallEnded follows a call that never started: note the end here (the ring watchdog stands down).
  await deps.sessions.addFacts(serverCallId, { ended: true });
  const decision = (await deps.sessions.get(serverCallId)).decision;
  const source =
    decision && "teamId" in decision
      ? { teamId: decision.teamId, ruleId: decision.ruleId, policyHash: decision.policyHash }
      : {};
  await deps.ledger?.record({
    serverCallId,
    ...(correlationId ? { correlationId } : {}),
    outcome: "failed",
    reason: `rejected while ringing: ${reason}`,
    endedAt: new Date().toISOString(),
    ...source,
  });
  await recordEnforcement(deps, {
    serverCallId,
    trigger: "incoming-call",
    action: "reject",
    mode: decision?.record ? decision.mode : "none",
    reason,
    context,
    message: "incoming call rejected: it could not be recorded",
  });
  return { rejected: true };
}
