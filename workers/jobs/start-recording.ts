import type { PayloadOf } from "../../src/queues/index.js";
import type { WorkerDependencies } from "../dependencies.js";
import { failFastOnPermanentAcsError } from "./acs-errors.js";

/** Starts recording with the decision's options; the SDK's Repeatability-Request-ID makes its own retries safe. */
export async function perform(deps: WorkerDependencies, payload: PayloadOf<"start-recording">) {
  const { serverCallId, correlationId, recording } = payload;
  try {
    const result = await deps.acs.getCallRecording().start({
      callLocator: { kind: "serverCallLocator", id: serverCallId },
      recordingStateCallbackEndpointUrl: deps.callbackUri,
      recordingContent: recording.content,
      recordingChannel: recording.channel,
      recordingFormat: recording.format,
      pauseOnStart: recording.pauseOnStart,
    });
    await deps.sessions.setRecording(serverCallId, result.recordingId);
    deps.logger.info({ serverCallId, correlationId, recordingId: result.recordingId }, "recording started");
  } catch (error) {
    deps.logger.warn({ serverCallId, correlationId, err: error }, "start recording failed");
    failFastOnPermanentAcsError(error);
  }
}
