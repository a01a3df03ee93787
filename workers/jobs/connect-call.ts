import type { PayloadOf } from "../../src/queues/index.js";
import type { WorkerDependencies } from "../dependencies.js";
import { rethrowAcsError } from "./acs-errors.js";

/**
 * Joins the call by its serverCallId (we never answer a user's call); CallConnected arrives as a callback. A job
 * run again after its worker died may find the call already connected by its first run: then there is nothing to
 * do (ACS would make a second connection: the SDK's Repeatability-Request-ID is new on every call).
 */
export async function perform(deps: WorkerDependencies, payload: PayloadOf<"connect-call">) {
  const { serverCallId, correlationId } = payload;
  const { callConnectionId: existing } = await deps.sessions.get(serverCallId);
  if (existing) {
    deps.logger.info({ serverCallId, correlationId, callConnectionId: existing }, "already connected");
    return;
  }
  try {
    await connectByServerCallId(deps, payload);
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "connect");
  }
}

/** The connect request itself; ACS errors are thrown as the SDK raised them, for the caller to classify. */
export async function connectByServerCallId(
  deps: WorkerDependencies,
  { serverCallId, correlationId }: PayloadOf<"connect-call">,
): Promise<void> {
  const result = await deps.acs.connectCall({ kind: "serverCallLocator", id: serverCallId }, deps.callbackUri, {
    operationContext: serverCallId,
  });
  const callConnectionId = result.callConnectionProperties.callConnectionId;
  deps.logger.info({ serverCallId, correlationId, callConnectionId }, "connect accepted");
}
