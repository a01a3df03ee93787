import type { RedisClient } from "../redis/index.js";

/**
 * The correlation indexes in Redis: recordingId → serverCallId and ACS call id → serverCallId, and the
 * placement each recording's first ingest job settled on. One key per entry, hash-tagged by its own id, one
 * command per key: Redis Cluster keeps working.
 *
 * Kept 7 days: ACS deletes a recording 24 h after publishing it ("Call Recording overview") and Event Grid
 * retries a delivery for up to 24 h ("Event Grid message delivery and retry"), so a recording event can come
 * 48 h after the call at worst; 7 days also covers dead-letter replays and matches the sessions' lifetime.
 */
export const CORRELATION_TTL_SECONDS = 7 * 24 * 3600;

export interface CorrelationIndex {
  /** ACS's call id (the events' correlationId) is this call's. */
  noteCall(callId: string, serverCallId: string): Promise<void>;
  /** This recording is this call's (a start response, or RecordingStateChanged). */
  noteRecording(recordingId: string, serverCallId: string): Promise<void>;
  callOfRecording(recordingId: string): Promise<string | undefined>;
  callOfCallId(callId: string): Promise<string | undefined>;
  /** The first placement stored for a recording wins; every caller gets the one that stands (JSON). */
  claimPlacement(recordingKey: string, placement: string): Promise<{ placement: string; ours: boolean }>;
  placement(recordingKey: string): Promise<string | undefined>;
}

export function createCorrelationIndex(redis: RedisClient, prefix: string): CorrelationIndex {
  const keys = {
    call: (callId: string) => `${prefix}:corr:call:{${callId}}`,
    recording: (recordingId: string) => `${prefix}:corr:recording:{${recordingId}}`,
    placement: (recordingKey: string) => `${prefix}:placement:{${recordingKey}}`,
  };
  const orUndefined = (value: string | null) => value ?? undefined;
  return {
    async noteCall(callId, serverCallId) {
      await redis.set(keys.call(callId), serverCallId, "EX", CORRELATION_TTL_SECONDS);
    },
    async noteRecording(recordingId, serverCallId) {
      await redis.set(keys.recording(recordingId), serverCallId, "EX", CORRELATION_TTL_SECONDS);
    },
    callOfRecording: async (recordingId) => orUndefined(await redis.get(keys.recording(recordingId))),
    callOfCallId: async (callId) => orUndefined(await redis.get(keys.call(callId))),
    async claimPlacement(recordingKey, placement) {
      const key = keys.placement(recordingKey);
      if ((await redis.set(key, placement, "EX", CORRELATION_TTL_SECONDS, "NX")) === "OK")
        return { placement, ours: true };
      const stored = await redis.get(key);
      return stored === null ? { placement, ours: false } : { placement: stored, ours: false };
    },
    placement: async (recordingKey) => orUndefined(await redis.get(keys.placement(recordingKey))),
  };
}
