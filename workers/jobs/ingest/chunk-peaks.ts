import { writeChunkPeaks } from "../../../src/archive/index.js";
import { chunkPeaks, type PayloadOf } from "../../../src/queues/index.js";
import { defineJob, type JobDependencies } from "../../job.js";

type Payload = PayloadOf<"chunk-peaks">;

const needs = ["container"] as const;
type Deps = JobDependencies<(typeof needs)[number]>;

const logFields = (payload: Payload) => ({
  serverCallId: payload.serverCallId,
  correlationId: payload.correlationId,
  recordingId: payload.recordingId,
  blob: payload.blob,
});

/**
 * The waveform peaks of one sealed chunk (src/archive/peaks.ts), for the QA page: read back from the archive — or
 * from the customer's container for a chunk sealed in place — and written into the archive container under
 * `peaksBlobName`. Derived data: it writes nothing but the peaks blob, so a failure leaves the archive as it was.
 * An encoding with no peaks (mp4) is logged and done; storage errors throw, and BullMQ retries.
 */
async function perform(deps: Deps, payload: Payload) {
  const written = await writeChunkPeaks(deps.container, payload.blob);
  if ("problem" in written)
    deps.logger.info({ ...logFields(payload), problem: written.problem }, "no waveform peaks for this chunk");
  else deps.logger.info({ ...logFields(payload), peaks: written.blob }, "waveform peaks written");
  return written;
}

/** After the last attempt: the page shows no waveform for this chunk; the chunk itself stays archived. */
async function onExhausted(deps: Deps, payload: Payload, error: Error) {
  deps.logger.warn({ ...logFields(payload), err: error }, "waveform peaks not written");
}

export const chunkPeaksJob = defineJob(chunkPeaks, { needs, perform, onExhausted });
