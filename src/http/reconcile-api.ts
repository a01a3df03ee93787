import Router from "@koa/router";
import { z } from "zod";
import type { AuditLog } from "../audit/index.js";
import type { TokenStore } from "../auth/index.js";
import { forTeam, type ReconcileReports } from "../reconcile/index.js";
import { describeIssues } from "../retrieval/index.js";
import { guard, requestOf } from "./api-access.js";

export interface ReconcileApiDependencies {
  tokens: TokenStore;
  audit: AuditLog;
  reports: Pick<ReconcileReports, "latest">;
}

const reconcileQuery = z.strictObject({ team: z.string().min(1).max(200).optional() });

/**
 * `GET /api/reconciliation[?team=T]`: the last scheduled reconciliation against ACS's own call logs
 * (docs/reconciliation.md "API"): counts, and the calls that are not verified. A team token sees its own team
 * only (another team's name: 404, as if it did not exist); auditors every team, or one. Audited.
 */
export function reconcileRoutes(deps: ReconcileApiDependencies): Router {
  const router = new Router();
  router.get("/api/reconciliation", guard(deps, { action: "reconcile", audit: "reconciliation:read" }), async (ctx) => {
    const request = requestOf(ctx);
    const detail = { query: ctx.query };
    const query = reconcileQuery.safeParse(ctx.query);
    if (!query.success) return request.refuse(400, describeIssues(query.error), { detail });
    const { principal } = request;
    const team = query.data.team ?? (principal.role === "team" ? principal.team : undefined);
    if (team !== undefined) await request.requireTarget({ team }, "no such team", { detail });
    else await request.requireTarget("all-teams", "no such team", { detail });
    const latest = await deps.reports.latest();
    await request.note(latest ? "accepted" : "nothing yet", { detail });
    if (!latest) {
      ctx.status = 404;
      ctx.body = { error: "no reconciliation has run yet (RECONCILE_EVERY_SECONDS: docs/reconciliation.md)" };
      return;
    }
    ctx.body = team === undefined ? latest : forTeam(latest, team);
  });
  return router;
}
