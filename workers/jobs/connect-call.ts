import type { PayloadOf } from "../../src/queues/index.js";
import type { WorkerDependencies } from "../dependencies.js";
import { rethrowAcsError } from "./acs-errors.js";

/** Joins the call by its serverCallId (we never answer a user's call); CallConnected arrives as a callback. */
export async function perform(deps: WorkerDependencies, payload: PayloadOf<"connect-call">) {
  try {
    await connectByServerCallId(deps, payload);
  } catch (error) {
    rethrowAcsError(
      error,
      deps.logger,
      { serverCallId: payload.serverCallId, correlationId: payload.correlationId },
      "connect",
    );
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
