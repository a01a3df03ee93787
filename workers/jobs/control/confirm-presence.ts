import { getIdentifierRawId } from "@azure/communication-common";
import { classifyAcsError } from "../../../src/acs/index.js";
import { confirmPresence, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

const needs = ["acs", ...advanceNeeds] as const;

/**
 * The presence sources disagree about someone in scope and nobody in scope is surely on the call
 * (src/calls/scope.ts `confirm`): ACS's participant list on our connection is the arbiter (docs/acs-payloads.md
 * "Participants"). Its answer is kept as a `participant-list` observation, timed when it came, and the call is
 * planned again with it.
 */
async function perform(deps: JobDependencies<(typeof needs)[number]>, payload: PayloadOf<"confirm-presence">) {
  const { serverCallId, correlationId, callConnectionId } = payload;
  const log = { serverCallId, correlationId, callConnectionId };
  let listed: string[];
  try {
    // One page: a call with more participants than a page holds is not one this product records.
    const { values } = await deps.acs.getCallConnection(callConnectionId).listParticipants();
    listed = [...new Set((values ?? []).flatMap((p) => (p.identifier ? [getIdentifierRawId(p.identifier)] : [])))];
  } catch (error) {
    if (classifyAcsError(error).outcome === "call-gone") {
      deps.logger.info(log, "participant list: the call is gone");
      return;
    }
    rethrowAcsError(error, deps.logger, log, "list participants");
  }
  const at = new Date().toISOString();
  const session = await deps.sessions.addPresence(serverCallId, `participant-list:${at}`, {
    source: "participant-list",
    participants: listed.sort(),
    at,
  });
  deps.logger.info({ ...log, participants: listed }, "participant list asked of ACS: deciding again");
  await advance(deps, session, `confirm:${at}`);
}

export const confirmPresenceJob = defineJob(confirmPresence, { needs, perform });
