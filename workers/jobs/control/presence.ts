import { factsOfEvent, presenceOfEvent } from "../../../src/calls/index.js";
import type { AcsEvent } from "../../../src/intake/index.js";
import type { JobDependencies } from "../../job.js";
import type { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

type PresenceEvent = Extract<
  AcsEvent,
  {
    type:
      | "Microsoft.Communication.CallParticipantAdded"
      | "Microsoft.Communication.CallParticipantRemoved"
      | "Microsoft.Communication.ParticipantsUpdated";
  }
>;

/**
 * Someone joined or left (docs/recording-control.md "Someone leaves mid-call"): what the event says of presence is
 * kept in the session (src/calls/scope.ts reads every source), then the call is re-decided and planned again — the
 * plan stops the recording when nobody in scope remains, asks ACS when the sources disagree, and starts a new
 * recording when someone in scope is back (src/calls/plan.ts `scopeAction`).
 *
 * A participant list is acted on only when it is our connection's: another app's leg to the same call may send
 * its lists to the same callback. Its list is still kept, as one more source the verdict weighs (a source that
 * disagrees makes it ask ACS, never stop on its word alone).
 */
export async function notePresence(
  deps: JobDependencies<(typeof advanceNeeds)[number]>,
  event: PresenceEvent,
  receivedAt: string,
): Promise<void> {
  const { serverCallId, correlationId } = event.data;
  const presence = presenceOfEvent(event);
  let session = presence
    ? await deps.sessions.addPresence(serverCallId, presence.key, presence.observation)
    : await deps.sessions.get(serverCallId);
  if (event.type === "Microsoft.Communication.ParticipantsUpdated") {
    const { callConnectionId } = event.data;
    if (callConnectionId !== session.ownConnectionId) {
      deps.logger.debug(
        { serverCallId, correlationId, callConnectionId, ours: session.ownConnectionId },
        "participant list of another connection: kept as an observation",
      );
      return;
    }
  }
  const facts = factsOfEvent(event, receivedAt);
  if (facts) session = await deps.sessions.addFacts(serverCallId, facts);
  await advance(deps, session, event.id);
}
