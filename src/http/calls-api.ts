import Router from "@koa/router";
import type Koa from "koa";
import { z } from "zod";
import type { AuditLog } from "../audit/log.js";
import type { TokenStore } from "../auth/tokens.js";
import { parseJson, readBody } from "../intake/body.js";
import type { Queues } from "../queues/index.js";
import type { SessionStore } from "../sessions/index.js";
import { guard, requestOf } from "./api-access.js";

export interface CallsApiDependencies {
  tokens: TokenStore;
  sessions: Pick<SessionStore, "get">;
  queues: Pick<Queues, "enqueue">;
  audit: AuditLog;
}

const pauseBody = z.strictObject({
  /** A reason code for the audit trail, e.g. `card-capture`. */
  reason: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "a reason code: 1-64 letters, digits, '.', '_' or '-'"),
});

const OPERATIONS = { "recording:pause": "pause", "recording:resume": "resume" } as const;
/** The operation a path names; own keys only ("constructor" is no operation). */
const operationOf = (ctx: Koa.Context) => {
  const name = String(ctx.params.operation);
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name as keyof typeof OPERATIONS] : undefined;
};

/**
 * `POST /api/calls/{serverCallId}/recording:pause|resume` (serverCallId URL-encoded): PCI pause and resume by a
 * team's operator, for that team's calls only — another team's call is answered 404, exactly like an unknown
 * one, so nothing leaks. The policy must allow pausing. Every attempt, refused or accepted, is audited.
 */
export function callsRoutes(deps: CallsApiDependencies): Router {
  const router = new Router();
  const access = guard(deps, {
    action: operationOf,
    audit: (ctx) => `recording:${operationOf(ctx)}`,
    subject: (ctx) => ({ serverCallId: String(ctx.params.serverCallId) }),
  });
  router.post("/api/calls/:serverCallId/:operation", access, async (ctx: Koa.Context) => {
    const operation = operationOf(ctx);
    const serverCallId = String(ctx.params.serverCallId);
    const request = requestOf(ctx);
    const principal = request.principal;
    const refuse = (status: 400 | 403 | 404 | 409, message: string, reason?: string): Promise<never> =>
      request.refuse(status, message, reason ? { reason } : {});

    const body = pauseBody.safeParse(parseJson(await readBody(ctx.req, 16 * 1024)));
    if (!body.success) return refuse(400, body.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const { reason } = body.data;
    const session = await deps.sessions.get(serverCallId);
    const decision = session.decision;
    if (!decision?.record) return refuse(404, "no such call", reason);
    await request.requireTarget({ team: decision.teamId }, "no such call", { reason });
    if (!decision.pause?.allowed)
      return refuse(403, `the policy of team ${decision.teamId} does not allow pausing`, reason);
    if (!session.recordingId) return refuse(409, "the call has no recording yet", reason);
    if (session.ended) return refuse(409, "the call has ended", reason);

    if (operation === "pause") {
      if (session.pause) return refuse(409, `already paused by ${session.pause.by}`, reason);
      await deps.queues.enqueue("pause-recording", {
        serverCallId,
        recordingId: session.recordingId,
        by: principal.name,
        reason,
        autoResumeSeconds: decision.pause.autoResumeSeconds,
      });
    } else {
      if (!session.pause) return refuse(409, "the recording is not paused", reason);
      await deps.queues.enqueue("resume-recording", {
        serverCallId,
        recordingId: session.recordingId,
        by: principal.name,
      });
    }
    await request.note("accepted", { reason });
    ctx.status = 202;
    ctx.body = { accepted: `recording:${operation}`, serverCallId };
  });
  return router;
}
