/**
 * Who may do what, in one place (pure): role × action × team. Every API route asks `decide` before it does
 * anything (src/http/api-access.ts; test/abuse/routes.test.ts fails for a route under /api that does not), the
 * admin board and the detailed health pages too. docs/security.md is the table in words.
 */
import type { Principal, Reader } from "./tokens.js";

export const ROLES = ["team", "auditor", "admin", "anonymous"] as const;
export type Role = (typeof ROLES)[number];

/**
 * list, get, play (and stream), verify, export (create and status) recordings; pause, resume and stop a call's
 * recording; read the audit log; use the queue board; read the detailed health and metrics pages; read the
 * reconciliation against ACS's call logs (a team its own calls, auditors every team's: docs/reconciliation.md);
 * read, write (submit) and assign QA reviews (docs/reviews.md: a team its own, auditors read every team's).
 */
export const ACTIONS = [
  "list",
  "get",
  "play",
  "verify",
  "export",
  "pause",
  "resume",
  "stop",
  "audit",
  "board",
  "ops",
  "reconcile",
  "review:read",
  "review:write",
  "review:assign",
] as const;
export type Action = (typeof ACTIONS)[number];

/** What a request is about, once looked up: one team's recording, call or export, or a selection of every team. */
export type Target = { team: string } | "all-teams";

export type Decision = { allowed: true } | { allowed: false; status: 401 | 403 | 404; message: string };

const READS: readonly Action[] = ["list", "get", "play", "verify", "export", "reconcile", "review:read"];
const ACTS: readonly Action[] = ["pause", "resume", "stop", "review:write", "review:assign"];
const OPERATIONS: readonly Action[] = ["board", "ops"];

const allow: Decision = { allowed: true };
const refuse = (status: 401 | 403 | 404, message: string): Decision => ({ allowed: false, status, message });

/**
 * Whether `principal` may do `action` — in general (no target: before the route looks anything up) or on a
 * target. Another team's recording, call or export is refused with 404, exactly like one that does not exist,
 * so a team cannot learn that it does.
 */
export function decide(principal: Principal | undefined, action: Action, target?: Target): Decision {
  if (!principal) return refuse(401, "missing or unknown API token");
  switch (principal.role) {
    case "team":
      if (READS.includes(action) || ACTS.includes(action)) {
        if (target === undefined || (target !== "all-teams" && target.team === principal.team)) return allow;
        return refuse(404, "not found");
      }
      if (action === "audit") return refuse(403, "the audit log is for auditors");
      return refuse(403, "only admin tokens operate the service");
    case "auditor":
      if (READS.includes(action) || action === "audit") return allow;
      if (ACTS.includes(action)) return refuse(403, "auditors can read, not act");
      return refuse(403, "only admin tokens operate the service");
    case "admin":
      if (OPERATIONS.includes(action)) return allow;
      if (ACTS.includes(action)) return refuse(403, "admin tokens operate the queues; they act on no calls");
      return refuse(403, "admin tokens operate the queues; they read no recordings");
  }
}

export const mayDo = (principal: Principal | undefined, action: Action, target?: Target): boolean =>
  decide(principal, action, target).allowed;

/** Filters with an optional team, as the listing and the export selection have. */
interface TeamScoped {
  team?: string | undefined;
}

/**
 * The filters narrowed to what the principal may list: a team token always lists its own team; asking for
 * another team's name yields nothing (undefined), never an error that would confirm the team exists.
 */
export function scopeFilters<F extends TeamScoped>(principal: Reader, action: "list" | "export", filters: F) {
  if (filters.team !== undefined) return mayDo(principal, action, { team: filters.team }) ? filters : undefined;
  if (mayDo(principal, action, "all-teams")) return filters;
  return principal.role === "team" ? { ...filters, team: principal.team } : undefined;
}

/** The principal as a reader of recordings; throws for anyone else (a route that did not ask `decide` first). */
export function asReader(principal: Principal): Reader {
  if (principal.role === "admin") throw new Error("access: an admin token reached a recordings route");
  return principal;
}
