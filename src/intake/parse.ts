import type { z } from "zod";
import { isAllowedRecordingUrl } from "../acs/index.js";
import { IntakeError } from "./errors.js";
import {
  cloudEventEnvelope,
  eventDataSchemas,
  eventGridEnvelope,
  isKnownEventType,
  subscriptionValidationData,
  type AcsEvent,
} from "./schemas.js";

export const SUBSCRIPTION_VALIDATION = "Microsoft.EventGrid.SubscriptionValidationEvent";
export const SUBSCRIPTION_DELETION = "Microsoft.EventGrid.SubscriptionDeletionEvent";

/**
 * An event type as a metric label: the types we act on and Event Grid's own, every other text as "other" —
 * anyone with the secret can send any text as a type, and each distinct label value is a new series.
 */
export function eventTypeLabel(type: string): string {
  return isKnownEventType(type) || type === SUBSCRIPTION_VALIDATION || type === SUBSCRIPTION_DELETION ? type : "other";
}

export type ParsedDelivery =
  | { kind: "validation"; validationCode: string }
  | { kind: "deletion" }
  | { kind: "events"; events: AcsEvent[]; ignored: { id: string; type: string }[] };

export interface ParseOptions {
  recordingHostSuffixes: readonly string[];
}

function describe(issues: z.core.$ZodIssue[], prefix: string): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${[prefix, ...issue.path].join(".")}: ${issue.message}`)
    .join("; ");
}

/** One element of a delivery in either schema, normalised to {id, type, subject, time, data}. */
function envelopeOf(
  element: unknown,
  at: string,
): { id: string; type: string; subject: string; time: string; data: unknown } {
  const isCloudEvent = typeof element === "object" && element !== null && "specversion" in element;
  if (isCloudEvent) {
    const parsed = cloudEventEnvelope.safeParse(element);
    if (!parsed.success) throw new IntakeError(400, describe(parsed.error.issues, at), { reason: "invalid-envelope" });
    const { id, type, subject, time, data, source } = parsed.data;
    return { id, type, subject: subject ?? source, time: time ?? new Date().toISOString(), data };
  }
  const parsed = eventGridEnvelope.safeParse(element);
  if (!parsed.success) throw new IntakeError(400, describe(parsed.error.issues, at), { reason: "invalid-envelope" });
  const { id, eventType, subject, eventTime, data } = parsed.data;
  return { id, type: eventType, subject, time: eventTime, data };
}

/**
 * Validates a whole delivery before anything is stored: one bad element rejects the batch (400), so a
 * delivery is either taken whole or not at all.
 */
export function parseDelivery(body: unknown, options: ParseOptions): ParsedDelivery {
  const elements = Array.isArray(body) ? body : [body];
  if (elements.length === 0) throw new IntakeError(400, "empty event array", { reason: "invalid-envelope" });
  const events: AcsEvent[] = [];
  const ignored: { id: string; type: string }[] = [];
  for (const [index, element] of elements.entries()) {
    const at = Array.isArray(body) ? `[${index}]` : "event";
    const envelope = envelopeOf(element, at);
    if (envelope.type === SUBSCRIPTION_VALIDATION) {
      const data = subscriptionValidationData.safeParse(envelope.data);
      if (!data.success)
        throw new IntakeError(400, describe(data.error.issues, `${at}.data`), {
          reason: "invalid-data",
          eventType: envelope.type,
        });
      return { kind: "validation", validationCode: data.data.validationCode };
    }
    if (envelope.type === SUBSCRIPTION_DELETION) return { kind: "deletion" };
    if (!isKnownEventType(envelope.type)) {
      ignored.push({ id: envelope.id, type: envelope.type });
      continue;
    }
    const data = eventDataSchemas[envelope.type].safeParse(envelope.data);
    if (!data.success)
      throw new IntakeError(400, `${envelope.type}: ${describe(data.error.issues, `${at}.data`)}`, {
        reason: "invalid-data",
        eventType: envelope.type,
      });
    const event = { ...envelope, data: data.data } as AcsEvent;
    assertRecordingUrlsAllowed(event, at, options.recordingHostSuffixes);
    events.push(event);
  }
  return { kind: "events", events, ignored };
}

/**
 * Recording URLs (content, metadata, delete) must be on an allowed host: anything else is refused before a
 * request could ever be made to it (SSRF).
 */
function assertRecordingUrlsAllowed(event: AcsEvent, at: string, hostSuffixes: readonly string[]): void {
  if (event.type !== "Microsoft.Communication.RecordingFileStatusUpdated") return;
  for (const chunk of event.data.recordingStorageInfo.recordingChunks) {
    for (const field of ["contentLocation", "metadataLocation", "deleteLocation"] as const) {
      if (!isAllowedRecordingUrl(chunk[field], hostSuffixes)) {
        throw new IntakeError(
          400,
          `${at}.data.recordingStorageInfo.recordingChunks[${chunk.index}].${field}: host not allowed`,
          { reason: "url-not-allowed", eventType: event.type },
        );
      }
    }
  }
}
