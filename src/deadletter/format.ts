import { z } from "zod";

/**
 * Event Grid's dead-letter blobs: a JSON array of the undelivered events, each as it would have been delivered
 * plus Event Grid's delivery facts (Event Grid schema: `deadLetterReason`, `deliveryAttempts`,
 * `lastDeliveryOutcome`, `lastHttpStatusCode`, `publishTime`, `lastDeliveryAttemptTime`; CloudEvents: the same
 * names in lower case). Blob names: `<SUBSCRIPTION NAME IN CAPITALS>/<yyyy>/<m>/<d>/<h>/<guid>.json` (unpadded).
 */
const DEAD_LETTER_FIELDS = [
  "deadLetterReason",
  "deliveryAttempts",
  "lastDeliveryOutcome",
  "lastHttpStatusCode",
  "publishTime",
  "lastDeliveryAttemptTime",
];
const deadLetterField = new Set([...DEAD_LETTER_FIELDS, ...DEAD_LETTER_FIELDS.map((name) => name.toLowerCase())]);

const deadLetteredEvent = z.looseObject({ id: z.string().min(1) });
const deadLetterBlob = z.array(deadLetteredEvent).min(1);

export interface DeadLetter {
  /** The event as originally published, without Event Grid's dead-letter fields. */
  event: Record<string, unknown>;
  id: string;
  type: string;
  schema: "eventgrid" | "cloudevents";
  /** When the event happened (eventTime / time), if it says. */
  time: string | undefined;
  reason: string | undefined;
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined);

/** Parses one dead-letter blob; throws with the reason when it is not one. */
export function parseDeadLetterBlob(body: string): DeadLetter[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new Error(`not JSON: ${(error as Error).message}`);
  }
  const parsed = deadLetterBlob.safeParse(json);
  if (!parsed.success) throw new Error(`not an array of events: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data.map((raw) => {
    const event = Object.fromEntries(Object.entries(raw).filter(([key]) => !deadLetterField.has(key)));
    const schema = "specversion" in raw ? "cloudevents" : "eventgrid";
    return {
      event,
      id: raw.id,
      type: text(raw.eventType) ?? text(raw.type) ?? "unknown",
      schema,
      time: text(raw.eventTime) ?? text(raw.time),
      reason: text(raw.deadLetterReason) ?? text(raw.deadletterreason),
    };
  });
}

/** ACS deletes a recording 24 h after publishing its RecordingFileStatusUpdated: a replay past that finds nothing. */
export function recordingLikelyExpired(letter: DeadLetter, now: Date): boolean {
  if (letter.type !== "Microsoft.Communication.RecordingFileStatusUpdated" || !letter.time) return false;
  const at = Date.parse(letter.time);
  return Number.isFinite(at) && now.getTime() - at > 24 * 3_600_000;
}
