import { enforcementActions } from "../../../src/metrics.js";
import { consentFallback, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { hangUpForEveryone } from "./enforcement.js";

const needs = ["acs", "ledger"] as const;

/**
 * Consent was refused, not given in time, or could not be asked; or the notice could not be played (docs/consent-flow.md).
 * Nothing was recorded (recording never started). What the policy says happens then:
 * - `end-call`: the call is ended for everyone;
 * - `record-nothing`: the call goes on unrecorded, and the ledger says why at once;
 * - `record-our-side-only`: not feasible on ACS (an unmixed recording takes every participant's audio at ACS), so
 *   nothing is recorded, and that is an alert — the policy asked for something this system cannot do.
 */
async function perform(deps: JobDependencies<(typeof needs)[number]>, payload: PayloadOf<"consent-fallback">) {
  const { serverCallId, correlationId, callConnectionId, fallback, reason, party, recordingId } = payload;
  // A joiner's refusal names them and the recording they joined (left paused for this job to decide).
  const context = { serverCallId, correlationId, fallback, reason, party, recordingId };
  const at = () => new Date().toISOString();
  switch (fallback) {
    case "end-call": {
      if (!callConnectionId) {
        await deps.ledger.noteAction(serverCallId, { at: at(), trigger: "consent", action: "alert", reason });
        deps.logger.error(
          { ...context, alert: true },
          "no consent: the policy ends the call, but there is no connection to end it with",
        );
        return;
      }
      const ended = await hangUpForEveryone(deps, callConnectionId, context);
      await deps.ledger.noteAction(serverCallId, { at: at(), trigger: "consent", action: "hang-up", reason });
      enforcementActions.inc({ trigger: "consent", action: "hang-up", mode: "required" });
      deps.logger.warn(
        { ...context, ended },
        ended ? "no consent: call ended" : "no consent: the call had already ended",
      );
      return;
    }
    case "record-nothing":
      await deps.ledger.noteAction(serverCallId, { at: at(), trigger: "consent", action: "record-nothing", reason });
      deps.logger.info(context, "no consent: the call goes on unrecorded");
      return;
    case "record-our-side-only":
      await deps.ledger.noteAction(serverCallId, { at: at(), trigger: "consent", action: "alert", reason });
      enforcementActions.inc({ trigger: "consent", action: "alert", mode: "required" });
      deps.logger.error(
        { ...context, alert: true },
        "no consent: record-our-side-only is not feasible, nothing recorded",
      );
      return;
  }
}

export const consentFallbackJob = defineJob(consentFallback, { needs, perform });
