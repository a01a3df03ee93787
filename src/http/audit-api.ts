import Router from "@koa/router";
import { z } from "zod";
import { DAY, isAuditCursor, type AuditArchive, type AuditLog } from "../audit/index.js";
import type { TokenStore } from "../auth/index.js";
import { describeIssues } from "../retrieval/index.js";
import { guard, requestOf } from "./api-access.js";

export interface AuditApiDependencies {
  tokens: TokenStore;
  audit: AuditLog;
  archive: AuditArchive;
  now?: () => Date;
}

const auditQuery = z.strictObject({
  day: z.string().regex(DAY, "a UTC day, YYYY-MM-DD").optional(),
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  recordingId: z.string().min(1).max(512).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  cursor: z.string().refine(isAuditCursor, "not a cursor of this API").optional(),
});

/** `GET /api/audit`: the audit log as kept in Blob, for auditors only (team tokens: 403). Itself audited. */
export function auditRoutes(deps: AuditApiDependencies): Router {
  const router = new Router();
  const now = deps.now ?? (() => new Date());
  router.get("/api/audit", guard(deps, { action: "audit", audit: "audit:list" }), async (ctx) => {
    const request = requestOf(ctx);
    const detail = { query: ctx.query };
    const query = auditQuery.safeParse(ctx.query);
    if (!query.success) return request.refuse(400, describeIssues(query.error), { detail });
    const { day = now().toISOString().slice(0, 10), actor, action, recordingId, limit, cursor } = query.data;
    await request.note("accepted", { detail });
    ctx.body = await deps.archive.read(day, {
      cursor,
      limit,
      filter: (entry) =>
        (actor === undefined || entry.actor === actor) &&
        (action === undefined || entry.action === action) &&
        (recordingId === undefined || entry.recordingId === recordingId),
    });
  });
  return router;
}
