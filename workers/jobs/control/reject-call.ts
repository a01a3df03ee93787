import { classifyAcsError } from "../../../src/acs/index.js";
import { connectRinging, rejectCall, type PayloadOf } from "../../../src/queues/index.js";
import type { JobContext } from "../../dependencies.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { recordEnforcement } from "./enforcement.js";

/**
 * Refuses a ringing call that the policy says must not go on unrecorded, when recording is already known to
 * be impossible (call-event.ts decides, src/sessions/enforcement.ts `incomingCallAction`). The call ends
 * before anyone answers; its ledger entry is `failed` with the reason. If it can no longer be rejected
 * (answered meanwhile), it is handled like any other call: the ring watchdog joins it and the recording
 * deadline applies. The incoming call context is read from where it is kept apart (never from job data), deleted
 * once it has served or its last try failed, and never logged (src/sessions/ring-context.ts).
 */
const needs = ["acs", "sessions", "ringContexts", "queues", "ledger"] as const;

async function perform(
  deps: JobDependencies<(typeof needs)[number]>,
  payload: PayloadOf<"reject-call">,
  job: JobContext,
) {
  const { serverCallId, correlationId, reason } = payload;
  const context = { serverCallId, correlationId, reason };
  const incomingCallContext = await deps.ringContexts.get(serverCallId);
  try {
    if (!incomingCallContext) throw new ContextGone();
    await deps.acs.rejectCall(incomingCallContext, { callRejectReason: "forbidden" });
    await deps.ringContexts.forget(serverCallId);
  } catch (error) {
    const meaning =
      error instanceof ContextGone
        ? { retry: false, outcome: "context-expired", description: "the incoming call context has expired" }
        : classifyAcsError(error);
    const lastTry = job.attempt >= (rejectCall.options.attempts ?? 1);
    if (meaning.retry && !lastTry) throw error;
    await deps.ringContexts.forget(serverCallId);
    if (meaning.retry) throw error;
    deps.logger.warn(
      { ...context, outcome: meaning.outcome, detail: meaning.description },
      "could not reject the call",
    );
    // No longer ringing: fall back to joining it once answered, so the deadline can act.
    if (await deps.sessions.claim(serverCallId, "ring-watch"))
      await deps.queues.enqueue(connectRinging, { serverCallId, correlationId });
    return { rejected: false };
  }
  // No CallEnded follows a call that never started: note the end here (the ring watchdog stands down).
  await deps.sessions.addFacts(serverCallId, { ended: true });
  const decision = (await deps.sessions.get(serverCallId)).decision;
  const source =
    decision && "teamId" in decision
      ? { teamId: decision.teamId, ruleId: decision.ruleId, policyHash: decision.policyHash }
      : {};
  await deps.ledger.record({
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

/** The context expired (or was never kept): the call can no longer be rejected. */
class ContextGone extends Error {}

export const rejectCallJob = defineJob(rejectCall, { needs, perform, proves: "acs" });
