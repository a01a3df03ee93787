import type { PayloadOf } from "../../src/queues/index.js";
import type { WorkerDependencies } from "../dependencies.js";
import { rethrowAcsError } from "./acs-errors.js";

/** Joins the call by its serverCallId (we never answer a user's call); CallConnected arrives as a callback. */
export async function perform(deps: WorkerDependencies, { serverCallId, correlationId }: PayloadOf<"connect-call">) {
  try {
    const result = await deps.acs.connectCall({ kind: "serverCallLocator", id: serverCallId }, deps.callbackUri, {
      operationContext: serverCallId,
    });
    const callConnectionId = result.callConnectionProperties.callConnectionId;
    deps.logger.info({ serverCallId, correlationId, callConnectionId }, "connect accepted");
  } catch (error) {
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "connect");
  }
}
