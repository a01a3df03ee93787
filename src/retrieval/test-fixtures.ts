/** Fixtures for retrieval's table tests: a manifest as the ingest writes it. */
import { buildManifest } from "../archive/index.js";
import { archivedManifest } from "./summary.js";

export const ALICE = "8:acs:r_00000001-alice";
export const PHONE = "4:+447700900123";

/** A manifest as the ingest writes it, read back through the retrieval schema. */
export function sampleManifest(overrides: { mode?: "required" | "best-effort" } = {}) {
  const built = buildManifest({
    serverCallId: "call-1",
    correlationId: "corr-1",
    recordingId: "rec-1",
    recordingStartTime: "2026-11-23T09:00:00Z",
    teamId: "trading-desk",
    call: { caller: PHONE, callee: ALICE, participants: [ALICE, PHONE] },
    policy: { ruleId: "record-external", mode: overrides.mode ?? "required", policyHash: "p", legalHold: false },
    chunks: [0, 1].map((index) => ({
      index,
      documentId: `doc-${index}`,
      endReason: index === 1 ? "SessionEnded" : "ChunkMaximumTimeExceeded",
      content: { blob: `b/chunk-${index}.wav`, sizeBytes: 1000 + index, sha256: `c${index}`, contentType: "audio/wav" },
      metadata: {
        blob: `b/chunk-${index}.acsmetadata.json`,
        sha256: `m${index}`,
        document: {
          chunkDuration: 5000,
          pauseResumeIntervals: [],
          participants: [
            { participantId: ALICE, channel: 0 },
            { participantId: PHONE, channel: 1 },
          ],
          recordingInfo: { contentType: "audio", channelType: "unmixed", format: "wav" },
        },
      },
    })),
    archivedAt: "2026-11-23T09:01:00Z",
  });
  return archivedManifest.parse(JSON.parse(JSON.stringify(built)));
}
