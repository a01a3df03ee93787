/** Why a request was refused, as a short code for metrics (bounded: never from the request's own text). */
export type RefusalReason =
  | "unauthenticated"
  | "forbidden"
  | "not-found"
  | "conflict"
  | "too-large"
  | "unsupported-media-type"
  | "malformed-json"
  | "too-deep"
  | "invalid-envelope"
  | "invalid-data"
  | "url-not-allowed"
  | "range-not-satisfiable"
  | "rate-limited"
  | "unavailable"
  | "invalid";

const REASON_BY_STATUS: Record<IntakeError["status"], RefusalReason> = {
  400: "invalid",
  401: "unauthenticated",
  403: "forbidden",
  404: "not-found",
  409: "conflict",
  413: "too-large",
  415: "unsupported-media-type",
  416: "range-not-satisfiable",
  429: "rate-limited",
  503: "unavailable",
};

/**
 * A refused request with the HTTP status the caller should see (for Event Grid: 400/401/413 are never retried).
 * Used by every API, not only intake. `reason` and `eventType` (the refused element's type, when known) label
 * the refusal metrics.
 */
export class IntakeError extends Error {
  readonly reason: RefusalReason;
  readonly eventType: string | undefined;
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 429 | 503,
    message: string,
    details: { reason?: RefusalReason; eventType?: string } = {},
  ) {
    super(message);
    this.name = "IntakeError";
    this.reason = details.reason ?? REASON_BY_STATUS[status];
    this.eventType = details.eventType;
  }
}
