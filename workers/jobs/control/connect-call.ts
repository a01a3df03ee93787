import { connectCall, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { advanceNeeds } from "./advance-needs.js";
import { advance } from "./call-event.js";

/**
 * Joins the call by its serverCallId (we never answer a user's call); CallConnected arrives as a callback. A job
 * run again after its worker died may find the call already connected by its first run: then there is nothing to
 * connect (ACS would make a second connection: the SDK's Repeatability-Request-ID is new on every call), only the
 * steps our connection makes due to finish.
 */
/** What the connect uses, and what `advance` (call-event.ts) uses to start the steps our connection makes due. */
export const connectNeeds = ["acs", "callbackUri", ...advanceNeeds] as const;
type Deps = JobDependencies<(typeof connectNeeds)[number]>;

async function perform(deps: Deps, payload: PayloadOf<"connect-call">) {
  const { serverCallId, correlationId } = payload;
  const session = await deps.sessions.get(serverCallId);
  if (session.ownConnectionId) {
    deps.logger.info({ serverCallId, correlationId, callConnectionId: session.ownConnectionId }, "already connected");
    await advanceOnOurConnection(deps, serverCallId);
    return;
  }
  try {
    await connectByServerCallId(deps, payload);
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "connect");
  }
}

/**
 * The connect request itself; ACS errors are thrown as the SDK raised them, for the caller to classify. The
 * connection it returns is ours — the only one the call's announcements, hang-ups and recording use, whatever
 * other connections to the call report (docs/acs-payloads.md "State events and connections").
 */
export async function connectByServerCallId(
  deps: Deps,
  { serverCallId, correlationId }: PayloadOf<"connect-call">,
): Promise<void> {
  const result = await deps.acs.connectCall({ kind: "serverCallLocator", id: serverCallId }, deps.callbackUri, {
    operationContext: serverCallId,
  });
  const callConnectionId = result.callConnectionProperties.callConnectionId;
  if (!callConnectionId) throw new Error(`connect of ${serverCallId}: ACS returned no callConnectionId`);
  const session = await deps.sessions.setOwnConnection(serverCallId, callConnectionId);
  const others = session.connectedConnections.filter((id) => id !== callConnectionId);
  deps.logger.info(
    { serverCallId, correlationId, callConnectionId, otherConnections: others },
    "connect accepted: our connection",
  );
  await advanceOnOurConnection(deps, serverCallId);
}

/**
 * Our CallConnected may have been handled before our connect's answer was stored: it could not be known as ours
 * then, so the steps it makes due (start of recording, deadline) are started here. Claimed under a name of our
 * connection's, so this and the CallConnected handler start each step once, and a rerun finishes what it began.
 */
async function advanceOnOurConnection(deps: Deps, serverCallId: string): Promise<void> {
  const session = await deps.sessions.get(serverCallId);
  if (session.callConnectionId) await advance(deps, session, `connect:${session.callConnectionId}`);
}

export const connectCallJob = defineJob(connectCall, {
  needs: connectNeeds,
  perform,
  proves: "acs",
  beforeRecording: true,
});
