import { consentOf } from "../../../src/calls/index.js";
import { consentTimeout, type PayloadOf } from "../../../src/queues/index.js";
import type { ConsentAnswer } from "../../../src/sessions/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

const needs = [...advanceNeeds] as const;

/**
 * The consent question's watchdog (queued by ask-consent past its timeout): when no Recognize* answer has arrived,
 * the question counts as `failed` — no consent — and the call is planned again, so the policy's silence fallback
 * applies. An answer that arrives later changes nothing (the first answer stays: a keep-first fact).
 */
async function perform(deps: JobDependencies<(typeof needs)[number]>, payload: PayloadOf<"consent-timeout">) {
  const { serverCallId, correlationId, afterSeconds, reason } = payload;
  const session = await deps.sessions.get(serverCallId);
  const { asked, answer } = consentOf(session);
  if (!asked || answer || session.ended) return;
  const failed: ConsentAnswer = {
    outcome: "failed",
    at: new Date().toISOString(),
    message: reason ?? `no answer from ACS within ${afterSeconds} s of asking`,
  };
  const updated = await deps.sessions.addFacts(serverCallId, { consentAnswer: JSON.stringify(failed) });
  deps.logger.error(
    { serverCallId, correlationId, alert: true, afterSeconds, reason: failed.message, requirement: asked.requirement },
    "consent or notice: no answer from ACS, nothing recorded",
  );
  await advance(deps, updated, `consent-timeout:${serverCallId}`);
}

export const consentTimeoutJob = defineJob(consentTimeout, { needs, perform });
