/**
 * The list's query parameters and the export's selection, validated at the boundary (zod), and the opaque
 * paging cursor.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
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
  /**
   * Who was on the call, as a reviewer types it: a name, an e-mail, an employee id, a phone number in any common
   * format or a raw id, read in the recording's team's directory (docs/directory.md "Search").
   */
  q: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(2048).optional(),
});
export type ListQuery = z.infer<typeof listQuery>;

export const exportRequest = z.strictObject({
  ...filterFields,
  from: isoTime,
  to: isoTime,
  /**
   * The requester's name for the export (a case reference), kept in the chain of custody. Not a place: every
   * export goes to `<team>/<export id>` (bundle.ts exportFolder), so a request naming a `folder` is refused.
   */
  label: z
    .string()
    .regex(/^[A-Za-z0-9._ -]{1,100}$/, "1-100 letters, digits, spaces, '.', '_' or '-'")
    .optional(),
  /**
   * `zip` (default): one signed, sealed file a regulator can verify offline (docs/evidence.md "Bundles");
   * `folder`: the files side by side with SHA256SUMS, as before bundles.
   */
  format: z.enum(["zip", "folder"]).default("zip"),
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

/**
 * Listing cursors as the API hands them out: opaque and authenticated. The position is encrypted with
 * AES-256-GCM under a key derived (HMAC-SHA256) from the server secret, with the caller's scope (its team, or
 * every team) as associated data: a cursor shows nothing (the last recording a page looked at may be another
 * team's), and a tampered, forged or other scope's cursor does not decrypt (the API answers 400).
 */
export interface CursorCodec {
  encode(cursor: Cursor, scope: string): string;
  /** The position, or undefined for anything this server did not issue for this scope. */
  decode(text: string, scope: string): Cursor | undefined;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function cursorCodec(secret: string): CursorCodec {
  const key = createHmac("sha256", secret).update("compliance-recorder listing cursor v1").digest();
  return {
    encode(cursor, scope) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(scope));
      const plain = JSON.stringify({ s: cursor.score, r: cursor.recordingId });
      const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString("base64url");
    },
    decode(text, scope) {
      const bytes = Buffer.from(text, "base64url");
      // Canonical base64url only: a last character differing in its unused bits would decode to the same bytes.
      if (bytes.toString("base64url") !== text) return undefined;
      if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, bytes.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(scope));
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
        const parsed = cursorShape.safeParse(JSON.parse(plain));
        return parsed.success ? { score: parsed.data.s, recordingId: parsed.data.r } : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** Zod issues as one line naming each parameter. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "query"}: ${issue.message}`).join("; ");
}
