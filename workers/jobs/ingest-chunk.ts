import { streamToBlob } from "../../src/archive/blob-store.js";
import { chunkBlobNames } from "../../src/archive/naming.js";
import type { PayloadOf } from "../../src/queues/index.js";
import type { WorkerDependencies } from "../dependencies.js";

/** Copies one chunk and its metadata document from ACS into Blob storage, hashing the bytes on the way. */
export async function perform(deps: WorkerDependencies, payload: PayloadOf<"ingest-chunk">) {
  const { serverCallId, correlationId, recordingId, chunk } = payload;
  // The team is read when the job runs, not when it was queued: by then the call's decision is settled.
  const decision = (await deps.sessions.get(serverCallId)).decision;
  const teamId = decision && "teamId" in decision ? decision.teamId : undefined;
  const names = chunkBlobNames({ ...payload, teamId, chunkIndex: chunk.index, contentLocation: chunk.contentLocation });
  const recording = deps.acs.getCallRecording();
  const tags = {
    servercallid: serverCallId,
    recordingid: recordingId,
    chunkindex: String(chunk.index),
    documentid: chunk.documentId,
    team: teamId ?? "",
  };
  const content = await streamToBlob(
    deps.container,
    names.content,
    await recording.downloadStreaming(chunk.contentLocation),
    chunk.contentLocation.includes("video")
      ? "video/mp4"
      : chunk.contentLocation.includes("mp3")
        ? "audio/mpeg"
        : "audio/wav",
    tags,
  );
  const metadata = await streamToBlob(
    deps.container,
    names.metadata,
    await recording.downloadStreaming(chunk.metadataLocation),
    "application/json",
    tags,
  );
  deps.logger.info(
    {
      serverCallId,
      correlationId,
      recordingId,
      chunk: chunk.index,
      blob: content.name,
      sizeBytes: content.sizeBytes,
      sha256: content.sha256,
      metadataBlob: metadata.name,
    },
    "chunk archived",
  );
  return { content, metadata };
}
