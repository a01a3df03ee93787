// A route table over raw (percent-encoded) paths: ACS paths carry ":" actions that path-to-regexp
// style routers treat as parameters, and recordingIds arrive encoded.
import type { Reply, SimRequest } from "./http.js";
import type { Operation } from "./types.js";

/**
 * acs: HMAC-signed Call Automation REST, logged, errors as {"error":{code,message}};
 * storage: HMAC-signed recording storage, logged, errors as {status,message};
 * public: unsigned ACS endpoints (OpenID configuration, JWKS); control: the simulator's own API.
 */
export type RouteKind = "acs" | "storage" | "public" | "control";

export interface Route {
  method: string;
  pattern: RegExp;
  kind: RouteKind;
  operation: Operation;
  /** The operation sends Repeatability-Request-ID and must not execute twice for one id. */
  repeatable?: boolean;
  /** false: a repeatable operation whose answers carry no `Repeatability-Result` header (recorded for answer, reject). */
  repeatabilityResult?: boolean;
  handle(req: SimRequest): Reply | Promise<Reply>;
}

export function matchRoute(routes: readonly Route[], method: string, rawPath: string) {
  for (const route of routes) {
    if (route.method !== method && !(route.method === "GET" && method === "HEAD")) continue;
    const m = route.pattern.exec(rawPath);
    if (!m) continue;
    try {
      return { route, params: m.slice(1).map((p) => decodeURIComponent(p ?? "")) };
    } catch {
      return undefined; // malformed percent-encoding: no such resource
    }
  }
  return undefined;
}

/** Which family an unmatched path belongs to, so it still gets signature checks and the right 404. */
export function kindOfPath(rawPath: string): RouteKind {
  if (rawPath.startsWith("/v1/objects/")) return "storage";
  if (rawPath.startsWith("/calling/")) return "acs";
  return "control";
}
