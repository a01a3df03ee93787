// The recordings API (docs/recordings-api.md) and the reconciliation API (docs/reconciliation.md "API") as the
// page uses them. The token goes in the Authorization
// header only — never in a URL, where it would reach logs and history.
/* global fetch */

/** @typedef {import("./view.js").ChannelMapEntry} ChannelMapEntry */
/** @typedef {import("./view.js").VerificationReport} VerificationReport */
/** @typedef {import("./view.js").Reconciliation} Reconciliation */

/**
 * A recording in a list (`GET /api/recordings`), as far as the page shows it.
 * @typedef {object} RecordingItem
 * @property {string} recordingId
 * @property {string} serverCallId
 * @property {string} team
 * @property {string} startedAt
 * @property {number} [durationSeconds]
 * @property {string[]} [participants]
 * @property {import("./view.js").Person[]} [people] the participants with their directory names
 * @property {string | null} [direction] internal, outbound or inbound for the team (null: not known)
 * @property {{ archive?: string, lastVerification?: { at: string, ok: boolean } | null }} [integrity]
 * @property {string | null} [reviewStatus] from the reviews feature (null: none)
 * @property {string} outcome
 * @property {string | null} [ruleId]
 * @property {number} chunkCount
 * @property {string | null} [channelType]
 * @property {string | null} [format]
 */

/**
 * One recording (`GET /api/recordings/{id}`), as far as the page shows it.
 * @typedef {object} RecordingDetail
 * @property {RecordingItem} recording
 * @property {string} [manifestBlob]
 * @property {boolean} [manifestIntact]
 * @property {{ index: number, sizeBytes: number, sha256: string, startTime?: string, durationMs?: number }[]} [chunks]
 * @property {string[]} [participants]
 * @property {import("./view.js").Person[]} [people]
 * @property {{ status: string, keyId?: string | null, summary: string } | null} [manifestSignature]
 * @property {ChannelMapEntry[]} [channelMap]
 * @property {{ chunk: number, startTime?: string, durationMs: number }[]} [pauses]
 * @property {{ trigger: "scope" | "request", by: string, reason: string, at: string } | null} [endedBy]
 * @property {{ outcome?: string, ruleId?: string | null, policyHash?: string | null, retainUntil?: string | null,
 *   legalHold?: boolean }} [policy]
 */

/**
 * A stream ticket (`POST …/chunks/{index}/play`): a same-origin URL for `<audio src>` and when it expires.
 * @typedef {{ url: string, expiresAt: string }} Ticket
 */

/** A refusal of the API: its status and its `{ error }` reason. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/**
 * `token()` gives the token of the signed-in reviewer at the time of each request.
 * @param {() => string} token
 */
export function createApi(token) {
  /**
   * @param {"GET" | "POST"} method
   * @param {string} path
   * @param {AbortSignal} [signal] aborts the request (a newer search replaced it)
   * @returns {Promise<unknown>} the answer's JSON (each caller below says what the API documents it to be)
   */
  async function call(method, path, signal) {
    const response = await fetch(path, {
      method,
      ...(signal ? { signal } : {}),
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
  /** @param {string} id */
  const recording = (id) => `/api/recordings/${encodeURIComponent(id)}`;
  return {
    /**
     * `query` from view.js's listQuery; `signal` aborts it when a newer search replaces it.
     * @param {string} query
     * @param {AbortSignal} [signal]
     */
    list: (query, signal) =>
      /** @type {Promise<{ items: RecordingItem[], nextCursor?: string | null }>} */ (
        call("GET", `/api/recordings?${query}`, signal)
      ),
    /**
     * The call's timeline on the recording's audio.
     * @param {string} recordingId
     */
    timeline: (recordingId) =>
      /** @type {Promise<{ events: import("./view.js").TimelineEvent[], sources: Record<string, boolean> }>} */ (
        call("GET", `${recording(recordingId)}/timeline`)
      ),
    /**
     * A chunk's waveform peaks, computed at ingest (404, an ApiError, when it has none).
     * @param {string} recordingId
     * @param {number} index
     */
    peaks: (recordingId, index) =>
      /** @type {Promise<{ channels: number, durationMs: number, peaksPerSecond: number, peaks: number[][] }>} */ (
        call("GET", `${recording(recordingId)}/chunks/${index}/peaks`)
      ),
    /**
     * @param {string} recordingId
     */
    get: (recordingId) => /** @type {Promise<RecordingDetail>} */ (call("GET", recording(recordingId))),
    /**
     * A ticketed, same-origin stream URL for `<audio src>`, and when it expires.
     * @param {string} recordingId
     * @param {number} index
     */
    play: (recordingId, index) =>
      /** @type {Promise<Ticket>} */ (call("POST", `${recording(recordingId)}/chunks/${index}/play`)),
    /**
     * The last scheduled reconciliation against ACS's call logs; `query` from view.js's reconcileQuery (a team,
     * or "" for the token's own team or, for an auditor, every team). 404 (an ApiError) before any run.
     * @param {string} query
     */
    reconciliation: (query) =>
      /** @type {Promise<Reconciliation>} */ (call("GET", `/api/reconciliation${query ? `?${query}` : ""}`)),
    /** @param {string} recordingId */
    verify: (recordingId) =>
      /** @type {Promise<VerificationReport>} */ (call("POST", `${recording(recordingId)}/verify`)),
  };
}
