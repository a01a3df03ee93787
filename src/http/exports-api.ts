import { randomUUID } from "node:crypto";
import Router from "@koa/router";
import type { ContainerClient } from "@azure/storage-blob";
import type { AuditLog } from "../audit/index.js";
import { asReader, scopeFilters, type TokenStore } from "../auth/index.js";
import { parseJson, readBody, IntakeError } from "../intake/index.js";
import { exportRecordings, type ExportPayload, type Queues } from "../queues/index.js";
import {
  exportFolder,
  type ExportRequests,
  type RecordingIndex,
  describeIssues,
  exportRequest,
  bundleBlobName,
  filtersOf,
  type Cursor,
  type RecordingFilters,
} from "../retrieval/index.js";
import { guard, requestOf } from "./api-access.js";

export interface ExportsApiDependencies {
  tokens: TokenStore;
  audit: AuditLog;
  index: Pick<RecordingIndex, "list">;
  queues: Pick<Queues, "enqueue" | "getJob">;
  /** The export container (its name is the jobs' target). */
  exportContainer: Pick<ContainerClient, "containerName">;
  /** Where the jobs queued are noted, for the export worker to check (src/retrieval/export-requests.ts). */
  requests: Pick<ExportRequests, "record">;
}

/** Most recordings one export may hold: a bigger selection is refused (narrow it, or export in parts). */
export const MAX_EXPORT_RECORDINGS = 5_000;
/**
 * Most index entries one export request looks at to find its selection: filters applied while scanning (call
 * length, outcome, another team's recordings of a participant) could otherwise make one request read the whole
 * index.
 */
export const MAX_EXPORT_SCAN = 50_000;

/**
 * `POST /api/exports` (queue an evidence export of a selection) and `GET /api/exports/:exportId` (its state and
 * progress). Team tokens export and see their own team's only; another team's export answers 404.
 */
export function exportsRoutes(deps: ExportsApiDependencies): Router {
  const router = new Router();

  router.post("/api/exports", guard(deps, { action: "export", audit: "exports:create" }), async (ctx) => {
    const request = requestOf(ctx);
    const principal = asReader(request.principal);
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
    const filters: RecordingFilters | undefined = scopeFilters(principal, "export", filtersOf(body.data));
    if (!filters) return request.refuse(404, "no such team", { detail });
    const team = filters.team;

    const recordingIds: string[] = [];
    let cursor: Cursor | null = null;
    let scanned = 0;
    do {
      const page = await deps.index.list(filters, 200, cursor ?? undefined);
      recordingIds.push(...page.items.map((r) => r.recordingId));
      scanned += page.scanned;
      if (recordingIds.length > MAX_EXPORT_RECORDINGS)
        return request.refuse(400, `more than ${MAX_EXPORT_RECORDINGS} recordings match: narrow the selection`, {
          detail,
        });
      if (page.next && scanned >= MAX_EXPORT_SCAN)
        return request.refuse(
          400,
          `the selection needs more than ${MAX_EXPORT_SCAN} recordings looked at: narrow it (team, time, call or participant)`,
          { detail },
        );
      cursor = page.next;
    } while (cursor);
    if (recordingIds.length === 0) return request.refuse(400, "no recording matches the selection", { detail });

    const exportId = randomUUID();
    const folder = exportFolder(team, exportId);
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
      ...(body.data.label !== undefined ? { label: body.data.label } : {}),
      recordingIds,
      target: { container: deps.exportContainer.containerName, folder },
      format: body.data.format,
    };
    await request.note("accepted", { detail: { ...detail, exportId, recordings: recordingIds.length, folder } });
    // Noted before queued: the export worker runs only jobs it finds noted, unchanged (export-requests.ts).
    await deps.requests.record(payload);
    await deps.queues.enqueue(exportRecordings, payload);
    ctx.status = 202;
    ctx.body = {
      exportId,
      recordings: recordingIds.length,
      target: payload.target,
      format: body.data.format,
      ...(body.data.format === "zip" ? { bundle: bundleBlobName(folder, exportId) } : {}),
    };
  });

  router.get("/api/exports/:exportId", guard(deps, { action: "export", audit: "exports:status" }), async (ctx) => {
    const exportId = String(ctx.params.exportId);
    const request = requestOf(ctx);
    const found = await deps.queues.getJob(exportRecordings, exportId);
    if (!found) return request.refuse(404, "no such export", { detail: { exportId } });
    const { team } = found.data;
    await request.requireTarget(team === undefined ? "all-teams" : { team }, "no such export", {
      detail: { exportId },
    });
    const state = await found.getState();
    // Read after the state, so that a job seen completed (or failed) carries its result (or reason).
    const job = (await deps.queues.getJob(exportRecordings, exportId)) ?? found;
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
