/**
 * A refused request with the HTTP status the caller should see (for Event Grid: 400/401/413 are never retried).
 * Used by every API, not only intake.
 */
export class IntakeError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 503,
    message: string,
  ) {
    super(message);
    this.name = "IntakeError";
  }
}
