/**
 * What an ACS Call Automation error means for us, from its HTTP status and error code (subcode). Codes per
 * the Call Automation troubleshooting table (compliance-landscape.md §5). Pure, so it is tested by a table.
 */
export type AcsErrorOutcome =
  | "call-gone" // the call ended or never existed: nothing to retry
  | "not-established" // the call is still ringing or setting up: retrying soon may work
  | "already-recording" // a duplicate start: the recording we asked for exists
  | "conflict" // another operation on the call is in progress: retry later
  | "not-allowed" // the operation or mode is not allowed for this call: retrying cannot help
  | "unauthorized" // wrong key or resource: configuration, not the call
  | "throttled" // 429: retry after the service's Retry-After
  | "transient" // 5xx or network: retry with backoff
  | "invalid" // our request was wrong: retrying cannot help
  | "unknown";

export interface AcsErrorMeaning {
  outcome: AcsErrorOutcome;
  retry: boolean;
  /** For logs and the ledger, in words an operator understands. */
  description: string;
}

const byCode: Record<string, Omit<AcsErrorMeaning, "description"> & { description: string }> = {
  "8522": { outcome: "call-gone", retry: false, description: "call not found (it has ended)" },
  "8528": { outcome: "call-gone", retry: false, description: "call terminated" },
  "8501": { outcome: "not-established", retry: true, description: "call not established yet" },
  "8559": { outcome: "already-recording", retry: false, description: "duplicate start recording" },
  "8553": { outcome: "already-recording", retry: false, description: "duplicate recording" },
  "8571": { outcome: "conflict", retry: true, description: "recording operation conflict" },
  "8519": { outcome: "conflict", retry: true, description: "conflict with a parallel action" },
  "8500": { outcome: "conflict", retry: true, description: "another media operation is active" },
  "8573": { outcome: "not-allowed", retry: false, description: "pause/resume not allowed" },
  "8562": { outcome: "not-allowed", retry: false, description: "recording mode not supported" },
  "8524": { outcome: "not-allowed", retry: false, description: "compliance recording participant rules" },
  "8525": { outcome: "not-allowed", retry: false, description: "compliance recording participant rules" },
  "8506": { outcome: "not-allowed", retry: false, description: "compliance recording participant rules" },
  "8556": { outcome: "not-allowed", retry: false, description: "compliance recording participant rules" },
  "7507": { outcome: "unauthorized", retry: false, description: "call source identity invalid (wrong ACS resource)" },
};

export function classifyAcsError(error: unknown): AcsErrorMeaning {
  const status =
    typeof (error as { statusCode?: unknown })?.statusCode === "number"
      ? (error as { statusCode: number }).statusCode
      : undefined;
  const code = typeof (error as { code?: unknown })?.code === "string" ? (error as { code: string }).code : undefined;
  const known = code ? byCode[code] : undefined;
  if (known) return { ...known, description: `ACS ${status ?? "?"} ${code}: ${known.description}` };
  const what = `ACS ${status ?? "error"}${code ? ` ${code}` : ""}`;
  if (status === 429) return { outcome: "throttled", retry: true, description: `${what}: throttled` };
  if (status === 401 || status === 403)
    return { outcome: "unauthorized", retry: false, description: `${what}: not authorised` };
  if (status === 404) return { outcome: "call-gone", retry: false, description: `${what}: not found` };
  if (status !== undefined && status >= 500)
    return { outcome: "transient", retry: true, description: `${what}: service error` };
  if (status === 400 || status === 405 || status === 409 || status === 422) {
    return { outcome: "invalid", retry: false, description: `${what}: request refused` };
  }
  // No HTTP status: a network failure (connection refused, reset, timeout) — worth retrying.
  if (status === undefined)
    return {
      outcome: "transient",
      retry: true,
      description: `network error: ${(error as Error)?.message ?? String(error)}`,
    };
  return { outcome: "unknown", retry: true, description: `${what}: unexpected` };
}
