// The per-chunk "acsmetadata" document (docs/acs-payloads.md "Metadata document"), with the documented (not the swapped 2021)
// contentType/channelType values.
import type { ChunkPlan } from "./chunks.js";
import type { RecordingOptionsView } from "./types.js";
import { BITS_PER_SAMPLE, SAMPLE_RATE } from "./wav.js";

export interface MetadataInput {
  resourceId: string;
  callId: string;
  documentId: string;
  plan: ChunkPlan;
  options: RecordingOptionsView;
  channels: number;
  /** rawIds in order; `channel` only for unmixed recordings. */
  participants: { participantId: string; channel?: number }[];
}

export function metadataDocument(m: MetadataInput) {
  const video = m.options.content === "audioVideo";
  return {
    resourceId: m.resourceId,
    callId: m.callId,
    chunkDocumentId: m.documentId,
    chunkIndex: m.plan.index,
    chunkStartTime: m.plan.startTime.toISOString(),
    chunkDuration: m.plan.durationMs,
    pauseResumeIntervals: m.plan.pauseResumeIntervals,
    recordingInfo: {
      contentType: m.options.content,
      channelType: m.options.channel,
      format: m.options.format,
      audioConfiguration: {
        sampleRate: SAMPLE_RATE,
        bitRate: SAMPLE_RATE * BITS_PER_SAMPLE * m.channels,
        channels: m.channels,
      },
      ...(video
        ? { videoConfiguration: { longerSideLength: 1920, shorterSideLength: 1080, framerate: 8, bitRate: 1_000_000 } }
        : {}),
    },
    participants: m.participants,
  };
}
