export { type BearerVerifier, bearerTokenOf } from "./bearer.js";
export { parseJson, readBody } from "./body.js";
export { type CallbackVerifier, createCallbackVerifier } from "./callback-auth.js";
export { DURABILITY_SYNTAX, type IntakeDurability, durabilityLabel, parseDurability } from "./durability.js";
export {
  EVENT_GRID_APP_ID,
  EVENT_GRID_WEBHOOK_ROLE,
  type EntraDeliverySettings,
  createEntraDeliveryVerifier,
} from "./entra.js";
export { IntakeError } from "./errors.js";
export { OUTBOX_GROUP, SEEN_TTL_SECONDS, outboxKeys } from "./outbox.js";
export { eventTypeLabel, parseDelivery } from "./parse.js";
export {
  type QuarantineRecord,
  type QuarantineStage,
  type SettleAction,
  fieldMap,
  isRedisUnavailable,
  listQuarantine,
  quarantineAudit,
  quarantineEntry,
  reasonOf,
  settleQuarantined,
} from "./quarantine.js";
export type { AcsEvent, RecordingChunk } from "./schemas.js";
export { secretMatcher } from "./secrets.js";
export {
  ACCEPT_DELIVERIES,
  type Channel,
  type EventSink,
  INTAKE_REDIS_OPTIONS,
  type SinkResult,
  createRedisEventSink,
} from "./sink.js";
export { parseRecordingSubject } from "./subject.js";
export type { RecordingSubject } from "./subject.js";
