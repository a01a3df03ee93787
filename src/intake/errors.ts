/** An intake failure with the HTTP status Event Grid/ACS should see (400/401/413 are never retried by Event Grid). */
export class IntakeError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 413 | 415,
    message: string,
  ) {
    super(message);
    this.name = "IntakeError";
  }
}
