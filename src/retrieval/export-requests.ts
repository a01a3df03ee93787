import { createHash } from "node:crypto";
import type { ExportPayload } from "../queues/index.js";
import type { RedisClient } from "../redis/index.js";
import { exportFolder } from "./bundle.js";

/**
 * What the API queued, for the export worker to check each job against before it writes anything. A job is an
 * instruction to write recordings somewhere for someone, and jobs sit in Redis where an operations board (or
 * anyone with Redis access) could add or edit them: the worker runs only a job that is, field for field, one
 * the API queued after checking its requester's access (docs/security.md).
 */
export interface ExportRequests {
  /** Notes the job as the API is about to queue it. */
  record(payload: ExportPayload): Promise<void>;
  /** Why the job must not run, or undefined when it is one the API queued, unchanged. */
  check(payload: ExportPayload, exportContainer: string): Promise<string | undefined>;
}

/** A failed job can be retried long after it was queued (`recorder jobs retry`): kept for about a year. */
const KEEP_SECONDS = 400 * 24 * 3600;

/** JSON with object keys sorted (the job's data comes back from Redis as JSON, maybe in another key order). */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

export const payloadDigest = (payload: ExportPayload) => createHash("sha256").update(canonical(payload)).digest("hex");

/** What is wrong with a job on its face (pure): the target must be the export container, in its own folder. */
export function payloadProblems(payload: ExportPayload, exportContainer: string): string[] {
  const problems: string[] = [];
  if (payload.target.container !== exportContainer)
    problems.push(`target container ${payload.target.container} is not the export container ${exportContainer}`);
  const folder = exportFolder(payload.team, payload.exportId);
  if (payload.target.folder !== folder) problems.push(`target folder ${payload.target.folder} is not ${folder}`);
  if (payload.requestedBy.role === "team" && payload.team !== payload.requestedBy.team)
    problems.push(`a team token's export must be of its own team`);
  return problems;
}

export function createExportRequests(redis: RedisClient, prefix: string): ExportRequests {
  const key = (exportId: string) => `${prefix}:export-request:{${exportId}}`;
  return {
    async record(payload) {
      await redis.set(key(payload.exportId), payloadDigest(payload), "EX", KEEP_SECONDS);
    },
    async check(payload, exportContainer) {
      const problems = payloadProblems(payload, exportContainer);
      if (problems.length > 0) return problems.join("; ");
      const recorded = await redis.get(key(payload.exportId));
      if (recorded === null) return "the API queued no export with this id";
      if (recorded !== payloadDigest(payload))
        return "the job differs from the export the API queued (requester, selection or target changed)";
      return undefined;
    },
  };
}
