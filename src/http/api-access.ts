import type Koa from "koa";
import type { AuditEntry, AuditLog } from "../audit/index.js";
import { decide, type Action, type Target, type Principal, type TokenStore } from "../auth/index.js";
import { IntakeError } from "../intake/index.js";

type Subject = Pick<AuditEntry, "recordingId" | "serverCallId" | "chunk">;

export interface AccessDependencies {
  tokens: TokenStore;
  audit: AuditLog;
}

/** One authenticated API request: who asks, and how to note what happened (audit) before answering. */
export interface AuditedRequest {
  principal: Principal;
  /** Appends the audit entry; a failure becomes 503 (no audit, no read). */
  note(outcome: string, extra?: Partial<AuditEntry>): Promise<void>;
  /** Notes the refusal, then refuses. */
  refuse(status: IntakeError["status"], message: string, extra?: Partial<AuditEntry>): Promise<never>;
  /**
   * Asks the access rules about the target the route looked up: another team's is refused (noted) with 404 and
   * `notFound`, exactly as if it did not exist.
   */
  requireTarget(target: Target, notFound: string, extra?: Partial<AuditEntry>): Promise<void>;
}

/** What a route declares about its access: the rule it asks, the audit action, and what the request names. */
export interface RouteAccess {
  /** The access rule (src/auth/access.ts); undefined from a function: no such operation (404). */
  action: Action | ((ctx: Koa.Context) => Action | undefined);
  /** The action as the audit log names it (e.g. recordings:stream or recordings:download for `play`). */
  audit: string | ((ctx: Koa.Context) => string);
  subject?: (ctx: Koa.Context) => Subject;
  /**
   * A credential other than the Authorization header (a stream ticket): when the request presents one, it alone
   * decides who asks (undefined principal: invalid).
   */
  credential?: (ctx: Koa.Context) => { principal: Principal | undefined; invalid: string } | undefined;
}

const GUARD = Symbol("access guard");
/** What a guard middleware asks (routes.test.ts checks that every route under /api starts with one). */
export type GuardMark = { kind: "api"; access: RouteAccess } | { kind: "intake"; credential: string };
type Marked = Koa.Middleware & { [GUARD]?: GuardMark };

export const guardOf = (middleware: unknown): GuardMark | undefined =>
  typeof middleware === "function" ? (middleware as Marked)[GUARD] : undefined;

/**
 * The first middleware of every API route: authenticates the caller and asks the access rules. A request
 * without a valid credential is refused 401 *without* an audit entry — it is counted in
 * intake_deliveries_refused_total by route, and limited per client address (rate-limit.ts) — so anonymous
 * traffic cannot grow the audit log. Any other refusal, and everything the handler does, is audited.
 */
export function guard(deps: AccessDependencies, access: RouteAccess): Koa.Middleware {
  const middleware: Marked = async (ctx, next) => {
    const action = typeof access.action === "function" ? access.action(ctx) : access.action;
    if (action === undefined) throw new IntakeError(404, "no such operation");
    const presented = access.credential?.(ctx);
    const principal = presented ? presented.principal : deps.tokens.authenticate(ctx.get("authorization") || undefined);
    if (!principal) throw new IntakeError(401, presented ? presented.invalid : "missing or unknown API token");
    const request = auditedRequest(ctx, deps, principal, {
      action: typeof access.audit === "function" ? access.audit(ctx) : access.audit,
      ...access.subject?.(ctx),
    });
    const decision = decide(principal, action);
    if (!decision.allowed) return request.refuse(decision.status, decision.message);
    ctx.state.access = { request, action } satisfies GuardState;
    return next();
  };
  middleware[GUARD] = { kind: "api", access };
  return middleware;
}

/** Marks a route under /api that intake credentials guard (the callback JWT), not API tokens. */
export function intakeRoute(credential: string, middleware: Koa.Middleware): Koa.Middleware {
  const marked: Marked = (ctx, next) => middleware(ctx, next);
  marked[GUARD] = { kind: "intake", credential };
  return marked;
}

interface GuardState {
  request: AuditedRequest;
  action: Action;
}

/** The request the route's guard authenticated. */
export function requestOf(ctx: Koa.Context): AuditedRequest {
  const state = ctx.state.access as GuardState | undefined;
  if (!state) throw new Error(`access: ${ctx.path} has no guard`);
  return state.request;
}

function auditedRequest(
  ctx: Koa.Context,
  deps: AccessDependencies,
  principal: Principal,
  base: Subject & { action: string },
): AuditedRequest {
  const note = async (outcome: string, extra: Partial<AuditEntry> = {}) => {
    try {
      await deps.audit.append({
        at: new Date().toISOString(),
        actor: principal.name,
        role: principal.role,
        ...(principal.role === "team" ? { team: principal.team } : {}),
        ...base,
        outcome,
        from: ctx.ip,
        ...extra,
      });
    } catch {
      throw new IntakeError(503, "the audit log could not be written, so nothing is read; try again later");
    }
  };
  const refuse = async (status: IntakeError["status"], message: string, extra?: Partial<AuditEntry>) => {
    await note(`refused ${status}: ${message}`, extra);
    throw new IntakeError(status, message);
  };
  return {
    principal,
    note,
    refuse,
    async requireTarget(target, notFound, extra) {
      const state = ctx.state.access as GuardState;
      const decision = decide(principal, state.action, target);
      if (!decision.allowed)
        await refuse(decision.status, decision.status === 404 ? notFound : decision.message, extra);
    },
  };
}
