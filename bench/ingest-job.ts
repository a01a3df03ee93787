/** What the ingest and busy-minute benches share: the ingest job of a chunk the simulator serves, as the app queues it. */
import type { ChunkView } from "../simulator/index.js";
import type { ingestChunk, PayloadOfKind } from "../src/queues/index.js";

export type ServedChunk = ChunkView & { serverCallId: string; recordingId: string };

/** The `ingest-chunk` payload for a served chunk, due within ACS's 24 h like a real one. */
export function ingestJobOf(chunk: ServedChunk): PayloadOfKind<typeof ingestChunk> {
  return {
    serverCallId: chunk.serverCallId,
    correlationId: undefined,
    recordingId: chunk.recordingId,
    recordingStartTime: new Date().toISOString(),
    chunk: {
      documentId: chunk.documentId,
      index: chunk.index,
      endReason: "SessionEnded",
      contentLocation: chunk.contentLocation,
      metadataLocation: chunk.metadataLocation,
      deleteLocation: chunk.deleteLocation,
    },
    acsExpiresAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
  };
}
