import { identifierFromRawId, classifyAcsError } from "../../../src/acs/index.js";
import { noteCallContext } from "../../../src/log.js";
import { timeToRecord } from "../../../src/metrics.js";
import { startRecording, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { rethrowAcsError } from "./acs-errors.js";

const needs = ["acs", "sessions", "correlation", "callbackUri"] as const;

/** Starts recording with the decision's options; the SDK's Repeatability-Request-ID makes its own retries safe. */
async function perform(deps: JobDependencies<(typeof needs)[number]>, payload: PayloadOf<"start-recording">) {
  const { serverCallId, correlationId, recording } = payload;
  const ordering = recording.participantOrdering ?? [];
  try {
    const result = await deps.acs.getCallRecording().start({
      callLocator: { kind: "serverCallLocator", id: serverCallId },
      recordingStateCallbackEndpointUrl: deps.callbackUri,
      recordingContent: recording.content,
      recordingChannel: recording.channel,
      recordingFormat: recording.format,
      pauseOnStart: recording.pauseOnStart,
      // Bring your own storage (docs/byos.md): ACS writes into the team's container; the SDK sends it as `externalStorage`.
      ...(recording.storage
        ? {
            recordingStorage: {
              recordingStorageKind: "azureBlobStorage",
              recordingDestinationContainerUrl: recording.storage.containerUrl,
            },
          }
        : {}),
      // Unmixed channels in the policy's order (team members first): channel 0 is the first listed.
      ...(recording.channel === "unmixed" && ordering.length > 0
        ? { audioChannelParticipantOrdering: ordering.map(identifierFromRawId) }
        : {}),
    });
    const seenMs = payload.seenAt ? Date.parse(payload.seenAt) : NaN;
    if (Number.isFinite(seenMs)) timeToRecord.observe({ from: payload.seenVia }, (Date.now() - seenMs) / 1000);
    noteCallContext(deps.logger, { recordingId: result.recordingId });
    // Our own record that this recording is this call's: its RecordingFileStatusUpdated may name only ACS's call id.
    await Promise.all([
      deps.sessions.updateRecording(serverCallId, result.recordingId, { kind: "started" }),
      deps.correlation.noteRecording(result.recordingId, serverCallId),
    ]);
    deps.logger.info({ serverCallId, correlationId, recordingId: result.recordingId }, "recording started");
  } catch (error) {
    // A start that ACS reports as a duplicate means the recording we asked for exists (an earlier attempt
    // went through): that is success, and its RecordingStateChanged tells us the recording id.
    if (classifyAcsError(error).outcome === "already-recording") {
      deps.logger.info({ serverCallId, correlationId }, "recording already started");
      return;
    }
    rethrowAcsError(error, deps.logger, { serverCallId, correlationId }, "start recording");
  }
}

export const startRecordingJob = defineJob(startRecording, {
  needs,
  perform,
  proves: "acs",
  beforeRecording: true,
});
