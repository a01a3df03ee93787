import type { Decision } from "../policy/types.js";
import type { CallSession, OnceStep } from "./store.js";

/**
 * What a call needs next, from what we know of it: a pure function, so that the same facts give the same
 * actions whatever order the events came in. Each action runs at most once per call (claimed in the store).
 */
export function dueActions(
  session: Pick<CallSession, "rang" | "started" | "callConnectionId"> & Partial<Pick<CallSession, "recordingState">>,
  decision: Decision,
): OnceStep[] {
  if (!decision.record) return [];
  const actions: OnceStep[] = [];
  if (session.started) actions.push("connect");
  // A call known only from IncomingCall (PSTN and Teams parties get no CallStarted, docs/acs-payloads.md "Event Grid events") gets a
  // ring watchdog, which connects it once answered unless CallStarted comes first.
  else if (session.rang) actions.push("ring-watch");
  if (session.callConnectionId) actions.push("start-recording");
  // The recording deadline runs from establishment: CallStarted, or our connect for calls without one.
  if (session.started || session.callConnectionId) actions.push("enforce-start");
  // Everyone hears that the call is recorded once it is: after recording is active, on our connection.
  if (decision.announcement && session.recordingState === "active" && session.callConnectionId)
    actions.push("announce");
  return actions;
}
