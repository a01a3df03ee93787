/**
 * Can the system record a call right now? A pure view of what the workers last saw of the two things a
 * recording needs: ACS (to start it) and Blob storage (to archive it). Signals are written by the adapters
 * (src/health/store.ts) and expire by themselves, so a stale "down" never outlives its evidence.
 */
export const COMPONENTS = ["storage", "acs"] as const;
export type Component = (typeof COMPONENTS)[number];

export interface ComponentSignals {
  /** Set by a failing probe (storage); expires a few probe intervals later unless renewed. */
  down: string | undefined;
  /** Failures in a row, each within the failure window of the one before; a success resets it. */
  failures: number;
  lastFailure: string | undefined;
}

export type HealthSignals = Record<Component, ComponentSignals>;

export interface HealthVerdict {
  canRecord: boolean;
  /** Why not, one line per unhealthy component ("storage: probe failed: …"). */
  problems: string[];
}

export const HEALTHY: ComponentSignals = { down: undefined, failures: 0, lastFailure: undefined };

export function assessHealth(signals: HealthSignals, failuresToTrip: number): HealthVerdict {
  const problems: string[] = [];
  for (const component of COMPONENTS) {
    const { down, failures, lastFailure } = signals[component];
    if (down) problems.push(`${component}: ${down}`);
    else if (failures >= failuresToTrip)
      problems.push(`${component}: ${failures} failures in a row (last: ${lastFailure ?? "unknown"})`);
  }
  return { canRecord: problems.length === 0, problems };
}

/**
 * Which dependency an error shows to be failing, if any: the request it carries (Azure SDK RestError) names the
 * host. Only failures of the service itself count — network errors, timeouts, 5xx, throttling, refused
 * credentials — never answers about one call or blob (404 call gone, 409 conflict, 412 exists).
 */
export function failingDependency(
  error: unknown,
  endpoints: { blobUrl: string; acsUrl: string },
): Component | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { request, statusCode } = error as { request?: { url?: unknown }; statusCode?: unknown };
  if (typeof request?.url !== "string") return undefined;
  const status = typeof statusCode === "number" ? statusCode : undefined;
  const serviceFault =
    status === undefined || status >= 500 || status === 429 || status === 408 || status === 401 || status === 403;
  if (!serviceFault) return undefined;
  const host = hostOf(request.url);
  if (host && host === hostOf(endpoints.blobUrl)) return "storage";
  if (host && host === hostOf(endpoints.acsUrl)) return "acs";
  return undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}
