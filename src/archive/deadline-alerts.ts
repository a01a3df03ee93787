import type { RedisClient } from "../redis/index.js";
import type { DeadlineStatus } from "./deadline.js";

/** The chunk a deadline alert is about. */
export interface ChunkRef {
  serverCallId: string;
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

/** `SET NX` per chunk and status; hash-tagged by call like the sessions, so Redis Cluster keeps a call together. */
export function createDeadlineAlertClaims(redis: RedisClient, prefix: string): DeadlineAlertClaims {
  return {
    async claim({ serverCallId, recordingId, chunkIndex }, status) {
      const key = `${prefix}:ingest-alert:{${serverCallId}}:${recordingId}:${chunkIndex}:${status}`;
      return (await redis.set(key, new Date().toISOString(), "EX", CLAIM_TTL_SECONDS, "NX")) === "OK";
    },
  };
}
