import { z } from "zod";

/**
 * ACS's own call logs (docs/reconciliation.md "What ACS publishes"): the call summary (one record per participant)
 * and the call recording summary (one per recording), read the same whether they come from a storage-account
 * archive (JSON lines, fields in `properties`, camelCase) or a Log Analytics table (PascalCase columns).
 * Tolerant of fields we do not use; strict on the ones we do.
 */

export interface CallSummaryRecord {
  kind: "call-summary";
  correlationId: string;
  /** The participant's identity as ACS logs it (`acs:…`, an Entra id, …); undefined for PSTN and servers. */
  identifier?: string | undefined;
  participantId?: string | undefined;
  endpointType?: string | undefined;
  callStartTime?: string | undefined;
  callDurationSeconds?: number | undefined;
}

export interface RecordingSummaryRecord {
  kind: "recording-summary";
  correlationId: string;
  recordingId: string;
  recordingStartTime?: string | undefined;
  recordingLengthSeconds: number;
  chunkCount: number;
  endReason?: string | undefined;
}

export type AcsLogRecord = CallSummaryRecord | RecordingSummaryRecord;

/** The diagnostic-settings categories (container `insights-logs-<category lower-case>`). */
export const CALL_SUMMARY_CATEGORY = "CallSummary";
export const RECORDING_SUMMARY_CATEGORY = "CallRecordingSummary";

// Microsoft's samples write absent values as the string "null" and some numbers as strings ("5", "73872.94").
const absent = (value: unknown) => (value === null || value === "null" || value === "" ? undefined : value);
const optionalText = z.preprocess(absent, z.string().optional());
const requiredText = z.preprocess(absent, z.string().min(1));
const numeric = (value: unknown) => {
  const given = absent(value);
  return typeof given === "string" && given.trim() !== "" && !Number.isNaN(Number(given)) ? Number(given) : given;
};
const optionalSeconds = z.preprocess(numeric, z.number().min(0).optional());
const time = z.preprocess(absent, z.iso.datetime({ offset: true }).optional());

const callSummaryFields = z.looseObject({
  correlationId: requiredText,
  identifier: optionalText,
  participantId: optionalText,
  endpointType: optionalText,
  callStartTime: time,
  callDuration: optionalSeconds,
});

const recordingSummaryFields = z.looseObject({
  correlationId: requiredText,
  recordingId: requiredText,
  recordingStartTime: time,
  recordingLength: z.preprocess(numeric, z.number().min(0)),
  chunkCount: z.preprocess(numeric, z.number().int().min(0)),
  recordingEndReason: optionalText,
});

/** `CorrelationId` → `correlationId`: the storage archive and Log Analytics spell the same fields differently. */
function camelKeys(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) out[key.charAt(0).toLowerCase() + key.slice(1)] = field;
  return out;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export type ParsedRecord = { record: AcsLogRecord } | { ignored: string } | { problem: string };

/**
 * One record from either source: the envelope's fields and its `properties` merged (properties win), keys
 * camel-cased. A category we do not reconcile is ignored; a record of ours missing what we rely on is a problem.
 */
export function parseRecord(raw: unknown, category?: string): ParsedRecord {
  if (!isObject(raw)) return { problem: "not a JSON object" };
  const envelope = camelKeys(raw);
  const fields = { ...envelope, ...(isObject(envelope.properties) ? camelKeys(envelope.properties) : {}) };
  const kind = category ?? (typeof envelope.category === "string" ? envelope.category : undefined);
  if (kind === CALL_SUMMARY_CATEGORY) {
    const parsed = callSummaryFields.safeParse(fields);
    if (!parsed.success) return { problem: `${kind}: ${describe(parsed.error)}` };
    const p = parsed.data;
    return {
      record: {
        kind: "call-summary",
        correlationId: p.correlationId,
        identifier: p.identifier,
        participantId: p.participantId,
        endpointType: p.endpointType,
        callStartTime: p.callStartTime,
        callDurationSeconds: p.callDuration,
      },
    };
  }
  if (kind === RECORDING_SUMMARY_CATEGORY) {
    const parsed = recordingSummaryFields.safeParse(fields);
    if (!parsed.success) return { problem: `${kind}: ${describe(parsed.error)}` };
    const p = parsed.data;
    return {
      record: {
        kind: "recording-summary",
        correlationId: p.correlationId,
        recordingId: p.recordingId,
        recordingStartTime: p.recordingStartTime,
        recordingLengthSeconds: p.recordingLength,
        chunkCount: p.chunkCount,
        endReason: p.recordingEndReason,
      },
    };
  }
  return { ignored: `category ${kind ?? "(none)"}` };
}

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(record)"}: ${issue.message}`).join("; ");
}

/**
 * The lines of one archived `PT1H.json` blob (JSON lines: one record a line, no outer array). Blank lines are
 * skipped; a line that is not JSON is a problem naming its line number.
 */
export function parseJsonLines(text: string, where: string): { records: AcsLogRecord[]; problems: string[] } {
  const records: AcsLogRecord[] = [];
  const problems: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      problems.push(`${where}:${i + 1}: not JSON`);
      continue;
    }
    const parsed = parseRecord(raw);
    if ("record" in parsed) records.push(parsed.record);
    else if ("problem" in parsed) problems.push(`${where}:${i + 1}: ${parsed.problem}`);
  }
  return { records, problems };
}

/**
 * The raw ids a call-summary identifier can stand for (docs/reconciliation.md "How we classify"): ACS logs
 * `acs:…` without the `8:` of a raw id, and a Microsoft Entra user as its bare object id (`8:orgid:<id>`).
 */
export function rawIdsOfIdentifier(identifier: string | undefined): string[] {
  if (!identifier) return [];
  const id = identifier.trim();
  if (/^(8|4|28):/.test(id)) return [id];
  if (/^(acs|spool|gcch-acs|dod-acs|orgid|gcch|dod|teamsvisitor):/.test(id)) return [`8:${id}`];
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return [`8:orgid:${id}`];
  return [id];
}
