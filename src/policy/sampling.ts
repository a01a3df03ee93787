import { createHash } from "node:crypto";

export interface SamplingResult {
  percent: number;
  /** 0–9999; null when there was no call key to sample on. */
  bucket: number | null;
  sampled: boolean;
}

/**
 * A call's bucket for one team: the first 32 bits of SHA-256("<teamId>:<callKey>") modulo 10 000. Replaying
 * the same call gives the same answer forever; each team draws its own independent sample.
 */
export function sampleBucket(teamId: string, callKey: string): number {
  return createHash("sha256").update(`${teamId}:${callKey}`).digest().readUInt32BE(0) % 10_000;
}

/** A call is in a `percent` sample when its bucket is below percent × 100. Without a key, it is recorded. */
export function sampleCall(percent: number, teamId: string, callKey: string | undefined): SamplingResult {
  if (percent >= 100) return { percent, bucket: null, sampled: true };
  if (!callKey) return { percent, bucket: null, sampled: true };
  const bucket = sampleBucket(teamId, callKey);
  return { percent, bucket, sampled: bucket < Math.round(percent * 100) };
}
