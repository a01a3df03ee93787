// The recordings API as the page uses it (docs/recordings-api.md). The token goes in the Authorization
// header only — never in a URL, where it would reach logs and history.
/* global fetch */

/** A refusal of the API: its status and its `{ error }` reason. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** `token()` gives the token of the signed-in reviewer at the time of each request. */
export function createApi(token) {
  async function call(method, path) {
    const response = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token()}`, accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
    });
    const body = await response.json().catch(() => undefined);
    if (!response.ok) {
      const reason = body && typeof body.error === "string" ? body.error : response.statusText;
      throw new ApiError(response.status, reason || `HTTP ${response.status}`);
    }
    return body;
  }
  const recording = (id) => `/api/recordings/${encodeURIComponent(id)}`;
  return {
    /** `query` from view.js's listQuery → `{ items, nextCursor }`. */
    list: (query) => call("GET", `/api/recordings?${query}`),
    get: (recordingId) => call("GET", recording(recordingId)),
    /** A ticketed, same-origin stream URL for `<audio src>`, and when it expires. */
    play: (recordingId, index) => call("POST", `${recording(recordingId)}/chunks/${index}/play`),
    verify: (recordingId) => call("POST", `${recording(recordingId)}/verify`),
  };
}
