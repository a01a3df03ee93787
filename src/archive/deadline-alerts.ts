import type { RedisClient } from "../redis/index.js";
import type { DeadlineStatus } from "./deadline.js";

/** The chunk a deadline alert is about. */
export interface ChunkRef {
  /** Absent for a recording whose call is not known (yet). */
  serverCallId: string | undefined;
  recordingId: string;
  chunkIndex: number;
}

/**
 * Deadline alerts are raised once per chunk and status, whoever sees it first: the re-prioritising sweep
 * (chunk still waiting) or the ingest job (chunk running), on any replica, on any attempt.
 */
export interface DeadlineAlertClaims {
  /** True for exactly one caller per chunk and status. */
  claim(chunk: ChunkRef, status: Exclude<DeadlineStatus, "ok">): Promise<boolean>;
}

/** Kept past ACS's 24 h and the ingest's retries, then forgotten. */
const CLAIM_TTL_SECONDS = 3 * 24 * 3600;

/** `SET NX` per chunk and status; hash-tagged by recording: one key per claim, so Redis Cluster works. */
export function createDeadlineAlertClaims(redis: RedisClient, prefix: string): DeadlineAlertClaims {
  return {
    async claim({ recordingId, chunkIndex }, status) {
      // The recording's key alone names the chunk (src/correlation recordingKeyOf), call known or not.
      const key = `${prefix}:ingest-alert:{${recordingId}}:${chunkIndex}:${status}`;
      return (await redis.set(key, new Date().toISOString(), "EX", CLAIM_TTL_SECONDS, "NX")) === "OK";
    },
  };
}
