// ACS-style errors: the body `{"error":{"code","message"}}` that core-client turns into a RestError.

export class AcsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  body() {
    return { error: { code: this.code, message: this.message } };
  }
}

export const callNotFound = () => new AcsError(404, "8522", "Call not found");

// The codes below are unconfirmed: the reference documents only 8522 for an unknown call.
export const recordingNotFound = () => new AcsError(404, "8522", "Recording not found");
export const invalidRequest = (message: string) => new AcsError(400, "8523", `Invalid request: ${message}`);
export const recordingInProgress = () =>
  new AcsError(400, "8523", "Invalid request: a recording is already in progress for this call.");
