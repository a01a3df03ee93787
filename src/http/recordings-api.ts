import Router from "@koa/router";
import type { ContainerClient } from "@azure/storage-blob";
import { z } from "zod";
import type { AuditLog } from "../audit/log.js";
import type { Reader, TokenStore } from "../auth/tokens.js";
import { readManifest, verifyRecording, type ReadManifest } from "../retrieval/archive-reader.js";
import type { RecordingIndex } from "../retrieval/index-store.js";
import { decodeCursor, describeIssues, filtersOf, listQuery } from "../retrieval/query.js";
import { parseRange } from "../retrieval/range.js";
import type { SasMinter } from "../retrieval/sas.js";
import { maySee, publicSummary, scopeFilters, type IndexedRecording } from "../retrieval/summary.js";
import { signTicket, verifyTicket } from "../retrieval/tickets.js";
import { auditedRequest, requirePrincipal, type AuditedRequest } from "./api-access.js";

export interface RecordingsApiDependencies {
  tokens: TokenStore;
  audit: AuditLog;
  index: RecordingIndex;
  /** The archive container. */
  container: ContainerClient;
  playback: {
    ticketSecret: string;
    ticketTtlMs: number;
    /** When set, play also hands out a read-only SAS URL of the chunk's blob (https only: src/retrieval/sas.ts). */
    sas?: SasMinter | undefined;
  };
  now?: () => Date;
}

const chunkIndex = z.coerce.number().int().min(0).max(99_999);
const NO_SUCH_RECORDING = "no such recording";

/**
 * QA retrieval (docs/recordings-api.md): list, get, play (ticket), stream (Range), verify. A team token sees its
 * own team only — another team's recording answers 404 exactly like an unknown id; auditors see every team.
 * Every request, refused or not, is audited before anything is returned.
 */
export function recordingsRoutes(deps: RecordingsApiDependencies): Router {
  const router = new Router();
  const now = deps.now ?? (() => new Date());
  const manifests = manifestCache(deps.container);

  /** The recording if it exists and the principal may see it; otherwise a noted 404 (the same for both). */
  const visible = async (request: AuditedRequest, principal: Reader, recordingId: string) => {
    const recording = await deps.index.get(recordingId);
    if (!recording || !maySee(principal, recording.team)) return request.refuse(404, NO_SUCH_RECORDING);
    return recording;
  };

  router.get("/api/recordings", async (ctx) => {
    const request = auditedRequest(ctx, deps, "recordings:list");
    const principal = await requirePrincipal(request);
    const detail = { query: ctx.query };
    const query = listQuery.safeParse(ctx.query);
    if (!query.success) return request.refuse(400, describeIssues(query.error), { detail });
    const cursor = query.data.cursor === undefined ? undefined : decodeCursor(query.data.cursor);
    if (query.data.cursor !== undefined && !cursor) return request.refuse(400, "cursor: not a cursor of this API");
    const scoped = scopeFilters(principal, filtersOf(query.data));
    const page = scoped ? await deps.index.list(scoped, query.data.limit, cursor) : { items: [], nextCursor: null };
    await request.note("accepted", { detail: { ...detail, returned: page.items.length } });
    ctx.body = { items: page.items.map(publicSummary), nextCursor: page.nextCursor };
  });

  router.get("/api/recordings/:recordingId", async (ctx) => {
    const recordingId = String(ctx.params.recordingId);
    const request = auditedRequest(ctx, deps, "recordings:get", { recordingId });
    const principal = await requirePrincipal(request);
    const recording = await visible(request, principal, recordingId);
    const read = await manifests.read(recording);
    const manifest = read?.manifest;
    await request.note("accepted", { serverCallId: recording.serverCallId });
    ctx.body = {
      recording: publicSummary(recording),
      manifestBlob: recording.manifestBlob,
      manifestSha256: recording.manifestSha256,
      manifestIntact: read?.sha256 === recording.manifestSha256 && manifest !== undefined,
      manifest: manifest ?? null,
      chunks: (manifest?.chunks ?? []).map((c) => ({
        index: c.index,
        sizeBytes: c.sizeBytes,
        sha256: c.sha256,
        contentType: c.contentType,
        startTime: c.startTime ?? null,
        durationMs: c.durationMs ?? null,
      })),
      participants: recording.participants,
      channelMap: manifest?.channelMap ?? [],
      pauses: manifest?.pauses ?? [],
      policy: {
        outcome: recording.outcome,
        ruleId: recording.ruleId,
        policyHash: manifest?.policy.policyHash ?? null,
        policySetHash: manifest?.policy.policySetHash ?? null,
        retainUntil: manifest?.policy.retainUntil ?? null,
        legalHold: manifest?.policy.legalHold ?? false,
      },
    };
  });

  router.post("/api/recordings/:recordingId/chunks/:index/play", async (ctx) => {
    const recordingId = String(ctx.params.recordingId);
    const index = chunkIndex.safeParse(ctx.params.index);
    const request = auditedRequest(ctx, deps, "recordings:play", {
      recordingId,
      ...(index.success ? { chunk: index.data } : {}),
    });
    const principal = await requirePrincipal(request);
    const recording = await visible(request, principal, recordingId);
    const read = await manifests.read(recording);
    const chunk = index.success ? read?.manifest?.chunks.find((c) => c.index === index.data) : undefined;
    if (!chunk) return request.refuse(404, "no such chunk", { serverCallId: recording.serverCallId });
    const expiresAt = new Date(now().getTime() + deps.playback.ticketTtlMs);
    const ticket = signTicket(deps.playback.ticketSecret, {
      principal,
      recordingId,
      chunk: chunk.index,
      expiresAt: expiresAt.getTime(),
    });
    const sasUrl = deps.playback.sas ? await deps.playback.sas.readUrl(chunk.blob, expiresAt) : undefined;
    await request.note("accepted", {
      serverCallId: recording.serverCallId,
      detail: { expiresAt: expiresAt.toISOString(), sas: sasUrl !== undefined },
    });
    ctx.body = {
      url: `/api/recordings/${encodeURIComponent(recordingId)}/chunks/${chunk.index}/stream?ticket=${ticket}`,
      expiresAt: expiresAt.toISOString(),
      contentType: chunk.contentType,
      sizeBytes: chunk.sizeBytes,
      manifestIntact: read?.sha256 === recording.manifestSha256,
      ...(sasUrl ? { sasUrl } : {}),
    };
  });

  router.get("/api/recordings/:recordingId/chunks/:index/stream", async (ctx) => {
    const recordingId = String(ctx.params.recordingId);
    const index = chunkIndex.safeParse(ctx.params.index);
    const download = ctx.query.download === "1";
    const ticket = typeof ctx.query.ticket === "string" ? ctx.query.ticket : undefined;
    const fromTicket =
      ticket !== undefined && index.success
        ? verifyTicket(deps.playback.ticketSecret, ticket, {
            recordingId,
            chunk: index.data,
            now: now().getTime(),
          })?.principal
        : undefined;
    const subject = { recordingId, ...(index.success ? { chunk: index.data } : {}) };
    const action = download ? "recordings:download" : "recordings:stream";
    const request =
      ticket !== undefined
        ? auditedRequest(ctx, deps, action, subject, fromTicket)
        : auditedRequest(ctx, deps, action, subject);
    const detail = { range: ctx.get("range") || null, via: ticket !== undefined ? "ticket" : "token" };
    if (!request.principal)
      return request.refuse(401, ticket !== undefined ? "invalid or expired ticket" : "missing or unknown API token", {
        detail,
      });
    if (request.principal.role === "admin") return request.refuse(403, "admin tokens read no recordings", { detail });
    const recording = await visible(request, request.principal, recordingId);
    const read = await manifests.read(recording);
    const chunk = index.success ? read?.manifest?.chunks.find((c) => c.index === index.data) : undefined;
    if (!chunk) return request.refuse(404, "no such chunk", { serverCallId: recording.serverCallId, detail });
    const blob = deps.container.getBlobClient(chunk.blob);
    const size = (await blob.getProperties()).contentLength ?? 0;
    const range = parseRange(ctx.get("range") || undefined, size);
    ctx.set("Accept-Ranges", "bytes");
    ctx.set("Cache-Control", "no-store");
    ctx.set("ETag", `"${chunk.sha256}"`);
    if (range.kind === "unsatisfiable") {
      ctx.set("Content-Range", `bytes */${size}`);
      return request.refuse(416, `range not satisfiable: the chunk has ${size} bytes`, {
        serverCallId: recording.serverCallId,
        detail,
      });
    }
    const [start, end] = range.kind === "partial" ? [range.start, range.end] : [0, size - 1];
    await request.note("accepted", {
      serverCallId: recording.serverCallId,
      detail: { ...detail, bytes: size === 0 ? null : `${start}-${end}` },
    });
    ctx.status = range.kind === "partial" ? 206 : 200;
    if (range.kind === "partial") ctx.set("Content-Range", `bytes ${start}-${end}/${size}`);
    if (download) {
      const name = chunk.blob.split("/").at(-1) ?? "chunk";
      ctx.set("Content-Disposition", `attachment; filename="${name}"`);
    }
    ctx.type = chunk.contentType;
    ctx.length = size === 0 ? 0 : end - start + 1;
    if (ctx.method === "HEAD" || size === 0) return;
    // Koa pipes it to the response; a player that seeks drops its request mid-body, which ends the read from Blob.
    ctx.body = (await blob.download(start, end - start + 1)).readableStreamBody;
  });

  router.post("/api/recordings/:recordingId/verify", async (ctx) => {
    const recordingId = String(ctx.params.recordingId);
    const request = auditedRequest(ctx, deps, "recordings:verify", { recordingId });
    const principal = await requirePrincipal(request);
    const recording = await visible(request, principal, recordingId);
    const report = await verifyRecording(deps.container, recording, now);
    await request.note("accepted", { serverCallId: recording.serverCallId, detail: { ok: report.ok } });
    ctx.body = report;
  });

  return router;
}

/**
 * Manifests as read from Blob. One that still hashes to what the index recorded is kept in memory (it is
 * immutable, and every seek of an `<audio>` element is a request); any other is read again each time.
 */
function manifestCache(container: ContainerClient, capacity = 500) {
  const cache = new Map<string, ReadManifest>();
  return {
    async read(recording: IndexedRecording): Promise<ReadManifest | null> {
      const key = `${recording.manifestBlob}@${recording.manifestSha256}`;
      const hit = cache.get(key);
      if (hit) return hit;
      const read = await readManifest(container, recording.manifestBlob);
      if (read?.manifest && read.sha256 === recording.manifestSha256) {
        if (cache.size >= capacity) cache.delete(cache.keys().next().value!);
        cache.set(key, read);
      }
      return read;
    },
  };
}
