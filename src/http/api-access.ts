import type Koa from "koa";
import type { AuditEntry, AuditLog } from "../audit/log.js";
import type { Principal, Reader, TokenStore } from "../auth/tokens.js";
import { IntakeError } from "../intake/errors.js";

type Subject = Pick<AuditEntry, "recordingId" | "serverCallId" | "chunk">;

/** One API request's access and audit: who asks (or nobody), and how to note what happened before answering. */
export interface AuditedRequest {
  principal: Principal | undefined;
  /** Appends the audit entry; a failure becomes 503 (no audit, no read). */
  note(outcome: string, extra?: Partial<AuditEntry>): Promise<void>;
  /** Notes the refusal, then refuses. */
  refuse(status: IntakeError["status"], message: string, extra?: Partial<AuditEntry>): Promise<never>;
}

export function auditedRequest(
  ctx: Koa.Context,
  deps: { tokens: TokenStore; audit: AuditLog },
  action: string,
  subject: Subject = {},
  principal: Principal | undefined = deps.tokens.authenticate(ctx.get("authorization") || undefined),
): AuditedRequest {
  const note = async (outcome: string, extra: Partial<AuditEntry> = {}) => {
    try {
      await deps.audit.append({
        at: new Date().toISOString(),
        actor: principal?.name ?? "anonymous",
        role: principal?.role ?? "none",
        ...(principal?.role === "team" ? { team: principal.team } : {}),
        action,
        ...subject,
        outcome,
        from: ctx.ip,
        ...extra,
      });
    } catch {
      throw new IntakeError(503, "the audit log could not be written, so nothing is read; try again later");
    }
  };
  return {
    principal,
    note,
    async refuse(status, message, extra) {
      await note(`refused ${status}: ${message}`, extra);
      throw new IntakeError(status, message);
    },
  };
}

/** The principal, if it may read recordings: else a noted 401 (no or unknown token) or 403 (an admin token). */
export async function requirePrincipal(request: AuditedRequest): Promise<Reader> {
  const principal = request.principal ?? (await request.refuse(401, "missing or unknown API token"));
  if (principal.role === "admin")
    return request.refuse(403, "admin tokens operate the queues; they read no recordings");
  return principal;
}
