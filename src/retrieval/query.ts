/**
 * The list's query parameters and the export's selection, validated at the boundary (zod), and the opaque
 * paging cursor. Pure.
 */
import { z } from "zod";
import { OUTCOMES, type RecordingFilters } from "./summary.js";

const isoTime = z
  .string()
  .refine((value) => /^\d{4}-\d{2}-\d{2}(T|$)/.test(value) && !Number.isNaN(Date.parse(value)), "an ISO 8601 time")
  .transform((value) => new Date(value));
const seconds = z.coerce.number().finite().min(0);
const id = z.string().min(1).max(512);

const filterFields = {
  team: z
    .string()
    .regex(/^[a-z0-9_-]{1,64}$/, "a team id")
    .optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  participant: id.optional(),
  serverCallId: id.optional(),
  minDurationSeconds: seconds.optional(),
  maxDurationSeconds: seconds.optional(),
  outcome: z.enum(OUTCOMES).optional(),
};

export const listQuery = z.strictObject({
  ...filterFields,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2048).optional(),
});
export type ListQuery = z.infer<typeof listQuery>;

export const exportRequest = z.strictObject({
  ...filterFields,
  from: isoTime,
  to: isoTime,
  /** Where the bundle goes inside the export container (default `<team|all-teams>/<exportId>`). */
  folder: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, "letters, digits, '.', '_', '-' and '/' between them")
    .refine((folder) => !folder.split("/").some((part) => part === "." || part === ".."), "no '.' or '..' segments")
    .max(200)
    .optional(),
});
export type ExportRequest = z.infer<typeof exportRequest>;

export function filtersOf(query: Partial<RecordingFilters>): RecordingFilters {
  const { team, from, to, participant, serverCallId, minDurationSeconds, maxDurationSeconds, outcome } = query;
  return Object.fromEntries(
    Object.entries({
      team,
      from,
      to,
      participant,
      serverCallId,
      minDurationSeconds,
      maxDurationSeconds,
      outcome,
    }).filter(([, value]) => value !== undefined),
  ) as RecordingFilters;
}

/** Where a page stopped: the last recording looked at (its start time in ms and its id). */
export interface Cursor {
  score: number;
  recordingId: string;
}

const cursorShape = z.strictObject({ s: z.number().finite(), r: z.string().min(1) });

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify({ s: cursor.score, r: cursor.recordingId })).toString("base64url");
}

/** The cursor, or undefined when it is not one of ours. */
export function decodeCursor(text: string): Cursor | undefined {
  try {
    const parsed = cursorShape.safeParse(JSON.parse(Buffer.from(text, "base64url").toString("utf8")));
    return parsed.success ? { score: parsed.data.s, recordingId: parsed.data.r } : undefined;
  } catch {
    return undefined;
  }
}

/** Zod issues as one line naming each parameter. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "query"}: ${issue.message}`).join("; ");
}
