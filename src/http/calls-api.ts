import Router from "@koa/router";
import type Koa from "koa";
import { z } from "zod";
import type { AuditLog } from "../audit/index.js";
import type { TokenStore } from "../auth/index.js";
import { parseJson, readBody } from "../intake/index.js";
import { pauseVerdict, stopVerdict } from "../calls/index.js";
import { jobKinds, type Queues } from "../queues/index.js";
import type { SessionStore } from "../sessions/index.js";
import { guard, requestOf } from "./api-access.js";

export interface CallsApiDependencies {
  tokens: TokenStore;
  /** `claim`: a stop is once per recording, whoever asks (scope or a request). */
  sessions: Pick<SessionStore, "get" | "claim" | "release">;
  queues: Pick<Queues, "enqueue">;
  audit: AuditLog;
}

const pauseBody = z.strictObject({
  /** A reason code for the audit trail, e.g. `card-capture`. */
  reason: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "a reason code: 1-64 letters, digits, '.', '_' or '-'"),
});

const OPERATIONS = { "recording:pause": "pause", "recording:resume": "resume", "recording:stop": "stop" } as const;
/** The operation a path names; own keys only ("constructor" is no operation). */
const operationOf = (ctx: Koa.Context) => {
  const name = String(ctx.params.operation);
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name as keyof typeof OPERATIONS] : undefined;
};

/**
 * `POST /api/calls/{serverCallId}/recording:pause|resume|stop` (serverCallId URL-encoded): PCI pause and resume,
 * and stop on request (a customer who objects), by a team's operator, for that team's calls only — another
 * team's call is answered 404, exactly like an unknown one, so nothing leaks. The policy must allow the
 * operation (a required recording is never stopped: 403). Every attempt, refused or accepted, is audited.
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
    if (!operation) return refuse(404, "no such operation"); // never: the guard answered it already
    const session = await deps.sessions.get(serverCallId);
    const requester = { by: principal.name, reason };
    const verdict =
      operation === "stop" ? stopVerdict(session, requester) : pauseVerdict(operation, session, requester);
    // Whose call it is is asked of the access rules first: another team's call is "no such call", like an unknown one.
    if (verdict.team) await request.requireTarget({ team: verdict.team }, "no such call", { reason });
    if (!verdict.allowed) return refuse(verdict.status, verdict.message, reason);
    if ("step" in verdict) {
      // One stop per recording: a second request, or scope stopping it already, is told so.
      if (!(await deps.sessions.claim(serverCallId, verdict.step)))
        return refuse(409, "the recording is already being stopped", reason);
      try {
        // The request names its job: after a stop that failed for good, a new request is a job of its own.
        const claimant = `request:${principal.name}:${new Date().toISOString()}`;
        await deps.queues.enqueue(jobKinds[verdict.job.name], { ...verdict.job.payload, claimant });
      } catch (error) {
        await deps.sessions.release(serverCallId, verdict.step); // not queued: the next request may try again
        throw error;
      }
    } else {
      await deps.queues.enqueue(jobKinds[verdict.job.name], verdict.job.payload);
    }
    const held = "heldForConsentOf" in verdict ? verdict.heldForConsentOf : undefined;
    await request.note(held !== undefined ? "accepted: held for consent" : "accepted", { reason });
    ctx.status = 202;
    // A resume while someone's consent is outstanding is accepted, but the recording resumes only once everyone has
    // consented (docs/api.md "PCI pause/resume").
    ctx.body =
      held !== undefined
        ? {
            accepted: `recording:${operation}`,
            serverCallId,
            heldForConsent: true,
            message: "paused until everyone on the call has consented to recording; it resumes on their consent",
          }
        : { accepted: `recording:${operation}`, serverCallId };
  });
  return router;
}
