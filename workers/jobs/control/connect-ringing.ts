import { UnrecoverableError } from "bullmq";
import { classifyAcsError } from "../../../src/acs/index.js";
import { connectRinging, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";
import { connectByServerCallId, connectNeeds } from "./connect-call.js";

/** How long a call may ring before it is answered; connecting is retried while it does. */
export const RING_WINDOW_MS = 90_000;

/**
 * The ring watchdog for calls known only from IncomingCall: once the call is answered, join it. It steps aside
 * once the call is connected, or started with its connect claimed by CallStarted's handler (which connects it
 * at once). While ACS still answers "not found" (the call rings), it gives the connect claim back and tries
 * again a second later, so a CallStarted arriving later is never kept waiting.
 */
async function perform(deps: JobDependencies<(typeof connectNeeds)[number]>, payload: PayloadOf<"connect-ringing">) {
  const { serverCallId, correlationId } = payload;
  const session = await deps.sessions.get(serverCallId);
  if (session.ended || session.ownConnectionId) return;
  if (session.started) {
    // CallStarted handled while this watchdog held the claim (the call was answered during an attempt) could
    // not take it, and will not try again: unless its handler holds the connect, the watchdog connects now.
    if (!(await deps.sessions.claim(serverCallId, "connect", "ring-watch"))) return;
    try {
      await connectByServerCallId(deps, payload);
    } catch (error) {
      rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "connect");
    }
    return;
  }
  const ringingFor = session.startedAt ? Date.now() - Date.parse(session.startedAt) : 0;
  if (ringingFor > RING_WINDOW_MS) {
    deps.logger.warn(
      { serverCallId, correlationId, ringingFor },
      "call never became connectable within the ring window",
    );
    throw new UnrecoverableError(`connect: the call was not answered within ${RING_WINDOW_MS / 1000} s`);
  }
  // The watchdog owns its claim: run again after its worker died between claiming and connecting, it goes on.
  if (!(await deps.sessions.claim(serverCallId, "connect", "ring-watch"))) return;
  try {
    await connectByServerCallId(deps, payload);
  } catch (error) {
    // Whatever went wrong, the claim goes back: the next attempt, or CallStarted's connect, must be able to take it.
    await deps.sessions.release(serverCallId, "connect");
    const { outcome } = classifyAcsError(error);
    if (outcome === "call-gone" || outcome === "not-established")
      throw new Error(`call ${serverCallId} not connectable yet (still ringing?); trying again`);
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "connect");
  }
}

export const connectRingingJob = defineJob(connectRinging, { needs: connectNeeds, perform, beforeRecording: true });
