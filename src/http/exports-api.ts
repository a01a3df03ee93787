import { randomUUID } from "node:crypto";
import Router from "@koa/router";
import type { ContainerClient } from "@azure/storage-blob";
import type { AuditLog } from "../audit/log.js";
import type { TokenStore } from "../auth/tokens.js";
import { parseJson, readBody } from "../intake/body.js";
import { IntakeError } from "../intake/errors.js";
import type { Queues } from "../queues/index.js";
import type { ExportPayload } from "../queues/payloads.js";
import { CHAIN_OF_CUSTODY, defaultExportFolder } from "../retrieval/bundle.js";
import type { RecordingIndex } from "../retrieval/index-store.js";
import { decodeCursor, describeIssues, exportRequest, filtersOf } from "../retrieval/query.js";
import type { RecordingFilters } from "../retrieval/summary.js";
import { auditedRequest, requirePrincipal } from "./api-access.js";

export interface ExportsApiDependencies {
  tokens: TokenStore;
  audit: AuditLog;
  index: Pick<RecordingIndex, "list">;
  queues: Pick<Queues, "enqueue" | "getJob">;
  /** The export container. */
  exportContainer: ContainerClient;
}

/** Most recordings one export may hold: a bigger selection is refused (narrow it, or export in parts). */
export const MAX_EXPORT_RECORDINGS = 5_000;

/**
 * `POST /api/exports` (queue an evidence export of a selection) and `GET /api/exports/:exportId` (its state and
 * progress). Team tokens export and see their own team's only; another team's export answers 404.
 */
export function exportsRoutes(deps: ExportsApiDependencies): Router {
  const router = new Router();

  router.post("/api/exports", async (ctx) => {
    const request = auditedRequest(ctx, deps, "exports:create");
    const principal = await requirePrincipal(request);
    let raw: unknown;
    try {
      raw = parseJson(await readBody(ctx.req, 64 * 1024));
    } catch (error) {
      if (error instanceof IntakeError) return request.refuse(error.status, error.message);
      throw error;
    }
    const body = exportRequest.safeParse(raw);
    if (!body.success) return request.refuse(400, describeIssues(body.error), { detail: { body: raw } });
    const detail = { body: body.data };
    if (principal.role === "team" && body.data.team !== undefined && body.data.team !== principal.team)
      return request.refuse(404, "no such team", { detail });
    const team = principal.role === "team" ? principal.team : body.data.team;
    const filters: RecordingFilters = { ...filtersOf(body.data), ...(team !== undefined ? { team } : {}) };

    const recordingIds: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await deps.index.list(filters, 200, cursor ? decodeCursor(cursor) : undefined);
      recordingIds.push(...page.items.map((r) => r.recordingId));
      if (recordingIds.length > MAX_EXPORT_RECORDINGS)
        return request.refuse(400, `more than ${MAX_EXPORT_RECORDINGS} recordings match: narrow the selection`, {
          detail,
        });
      cursor = page.nextCursor;
    } while (cursor);
    if (recordingIds.length === 0) return request.refuse(400, "no recording matches the selection", { detail });

    const exportId = randomUUID();
    const folder = body.data.folder ?? defaultExportFolder(team, exportId);
    if (await deps.exportContainer.getBlobClient(`${folder}/${CHAIN_OF_CUSTODY}`).exists())
      return request.refuse(409, `folder ${folder} already holds an export`, { detail });
    const payload: ExportPayload = {
      exportId,
      requestedBy:
        principal.role === "team"
          ? { name: principal.name, role: "team", team: principal.team }
          : { name: principal.name, role: "auditor" },
      requestedAt: new Date().toISOString(),
      requestedFrom: ctx.ip,
      selection: selectionRecord(filters),
      ...(team !== undefined ? { team } : {}),
      recordingIds,
      target: { container: deps.exportContainer.containerName, folder },
    };
    await request.note("accepted", { detail: { ...detail, exportId, recordings: recordingIds.length, folder } });
    await deps.queues.enqueue("export-recordings", payload, exportId);
    ctx.status = 202;
    ctx.body = { exportId, recordings: recordingIds.length, target: payload.target };
  });

  router.get("/api/exports/:exportId", async (ctx) => {
    const exportId = String(ctx.params.exportId);
    const request = auditedRequest(ctx, deps, "exports:status");
    const principal = await requirePrincipal(request);
    const found = await deps.queues.getJob("export-recordings", exportId);
    const visible = found && (principal.role === "auditor" || found.data.team === principal.team);
    if (!found || !visible) return request.refuse(404, "no such export", { detail: { exportId } });
    const state = await found.getState();
    // Read after the state, so that a job seen completed (or failed) carries its result (or reason).
    const job = (await deps.queues.getJob("export-recordings", exportId)) ?? found;
    await request.note("accepted", { detail: { exportId, state } });
    ctx.body = {
      exportId,
      state,
      requestedBy: job.data.requestedBy.name,
      requestedAt: job.data.requestedAt,
      recordings: job.data.recordingIds.length,
      target: job.data.target,
      progress: typeof job.progress === "object" ? job.progress : null,
      attempts: job.attemptsMade,
      ...(job.returnvalue ? { result: job.returnvalue } : {}),
      ...(job.failedReason ? { failedReason: job.failedReason } : {}),
    };
  });

  return router;
}

/** The selection as recorded in the job and the chain of custody: times as ISO 8601. */
function selectionRecord(filters: RecordingFilters): Record<string, string | number> {
  return Object.fromEntries(
    Object.entries(filters).map(([key, value]) => [key, value instanceof Date ? value.toISOString() : value]),
  ) as Record<string, string | number>;
}
