import Router from "@koa/router";
import type Koa from "koa";
import type { ContainerClient } from "@azure/storage-blob";
import { z } from "zod";
import type { AuditLog } from "../audit/index.js";
import { asReader, scopeFilters, type TokenStore } from "../auth/index.js";
import {
  readManifest,
  verifyRecording,
  type ReadManifest,
  type RecordingIndex,
  describeIssues,
  filtersOf,
  listQuery,
  type CursorCodec,
  parseRange,
  type SasMinter,
  publicSummary,
  directionOf,
  type IndexedRecording,
  signTicket,
  verifyTicket,
  buildTimeline,
  type Presence,
  type TimelineFacts,
} from "../retrieval/index.js";
import { blobAt, manifestSignatureReport, peaksBlobName } from "../archive/index.js";
import {
  named as withName,
  participantsMatch,
  type DirectorySource,
  type NamedIdentity,
  type SearchResult,
} from "../directory/index.js";
import type { EvidenceVerifier } from "../evidence/index.js";
import { guard, requestOf, type AuditedRequest } from "./api-access.js";
import type { Ledger } from "../ledger/index.js";

export interface RecordingsApiDependencies {
  tokens: TokenStore;
  audit: AuditLog;
  index: RecordingIndex;
  /** The archive container. */
  container: ContainerClient;
  /** Seals and opens listing cursors (src/retrieval/query.ts). */
  cursors: CursorCodec;
  /** Verifications at once in this process (each re-reads every byte of a recording); more are answered 429. */
  verifyConcurrency?: number;
  /** The trusted evidence key manifests are checked with (docs/evidence.md); without it signatures are "unchecked". */
  evidenceVerifier?: EvidenceVerifier;
  playback: {
    ticketSecret: string;
    ticketTtlMs: number;
    /** When set, play also hands out a read-only SAS URL of the chunk's blob (https only: src/retrieval/sas.ts). */
    sas?: SasMinter | undefined;
  };
  /** Whether a raw id is a member of a team (the policies in force): gives each list item its direction. */
  isMember?: (team: string, rawId: string) => boolean;
  /** Names for ids (docs/directory.md); without it every participant is shown by id (displayName null). */
  directory?: DirectorySource;
  /**
   * A recording's review status, for the list (the reviews feature wires it); without it `reviewStatus` is null,
   * which the page shows as "—".
   */
  reviewStatus?: (recording: IndexedRecording) => Promise<string | null>;
  /** Where the timeline's facts come from besides the manifest (each optional: without it, its facts are left out). */
  timeline?: {
    sessions?: { get(serverCallId: string): Promise<TimelineSession> };
    ledger?: Pick<Ledger, "get">;
    /** The calls API's audit (pause, resume, stop requests: who and why); its recent entries are searched. */
    callActions?: Pick<AuditLog, "recent">;
  };
  now?: () => Date;
}

/** What the timeline reads of a call's session (src/sessions CallSession, structurally). */
export interface TimelineSession {
  startedAt: string | undefined;
  ended: boolean;
  announcement: NonNullable<TimelineFacts["call"]>["announcement"];
  announcements?: NonNullable<TimelineFacts["call"]>["announcements"];
  presence: readonly Presence[];
}

/** Recent call-action audit entries searched for a call's requests (the Redis stream keeps recent entries only). */
const CALL_ACTIONS_SEARCHED = 5_000;

const chunkIndex = z.coerce.number().int().min(0).max(99_999);
const NO_SUCH_RECORDING = "no such recording";

/** The manifest's chunk a route's `:chunk` names; undefined when it names none (not a number, or not there). */
function chunkOf<C extends { index: number }>(manifest: { chunks: C[] } | undefined, param: unknown): C | undefined {
  const index = chunkIndex.safeParse(param);
  return index.success ? manifest?.chunks.find((c) => c.index === index.data) : undefined;
}

/**
 * QA retrieval (docs/recordings-api.md): list, get, play (ticket), stream (Range), verify. A team token sees its
 * own team only — another team's recording answers 404 exactly like an unknown id; auditors see every team.
 * Every request with a valid token or ticket, refused or not, is audited before anything is returned.
 */
export function recordingsRoutes(deps: RecordingsApiDependencies): Router {
  const router = new Router();
  const now = deps.now ?? (() => new Date());
  const manifests = manifestCache(deps.container);
  const verifyConcurrency = deps.verifyConcurrency ?? 2;
  let verifying = 0;

  /** Each participant with what the recording's own team's directory says of them (never another team's). */
  const peopleOf = (recording: IndexedRecording): Promise<NamedIdentity[]> =>
    Promise.all(
      recording.participants.map(async (id) => withName(id, await deps.directory?.lookup(recording.team, id))),
    );
  const listItem = async (recording: IndexedRecording) => ({
    ...publicSummary(recording),
    direction: deps.isMember ? directionOf(recording, (id) => deps.isMember!(recording.team, id)) : null,
    people: await peopleOf(recording),
    // Every listed recording was verified at archive (each chunk hashed while copied, then read back); a later
    // verification through the API is kept and shown here.
    integrity: { archive: "verified" as const, lastVerification: recording.lastVerification ?? null },
    reviewStatus: deps.reviewStatus ? await deps.reviewStatus(recording) : null,
  });
  /** A search read in each recording's team's directory, once per team per request. */
  const searchFor = (text: string) => {
    const results = new Map<string, Promise<SearchResult>>();
    return async (recording: IndexedRecording) => {
      let result = results.get(recording.team);
      if (!result) {
        result = deps.directory
          ? deps.directory.search(recording.team, text)
          : Promise.resolve({ identities: [], ranges: [] });
        results.set(recording.team, result);
      }
      return participantsMatch(recording.participants, await result);
    };
  };

  /** The recording if it exists and the principal may see it; otherwise a noted 404 (the same for both). */
  const visible = async (
    request: AuditedRequest,
    recordingId: string,
    extra?: Parameters<AuditedRequest["note"]>[1],
  ) => {
    const recording = await deps.index.get(recordingId);
    if (!recording) return request.refuse(404, NO_SUCH_RECORDING, extra);
    await request.requireTarget({ team: recording.team }, NO_SUCH_RECORDING, extra);
    return recording;
  };
  const named = (ctx: Koa.Context) => {
    const index = chunkIndex.safeParse(ctx.params.chunk);
    return { recordingId: String(ctx.params.recordingId), ...(index.success ? { chunk: index.data } : {}) };
  };

  router.get("/api/recordings", guard(deps, { action: "list", audit: "recordings:list" }), async (ctx) => {
    const request = requestOf(ctx);
    const principal = asReader(request.principal);
    const detail = { query: ctx.query };
    const query = listQuery.safeParse(ctx.query);
    if (!query.success) return request.refuse(400, describeIssues(query.error), { detail });
    // A cursor is good for the scope it was issued to only: a team's for that team, an auditor's for auditors.
    const scope = principal.role === "team" ? `team:${principal.team}` : "all-teams";
    const cursor = query.data.cursor === undefined ? undefined : deps.cursors.decode(query.data.cursor, scope);
    if (query.data.cursor !== undefined && !cursor)
      return request.refuse(400, "cursor: not a cursor this API gave to this caller", { detail });
    const scoped = scopeFilters(principal, "list", filtersOf(query.data));
    const accept = query.data.q === undefined ? undefined : searchFor(query.data.q);
    const page = scoped ? await deps.index.list(scoped, query.data.limit, cursor, accept) : { items: [], next: null };
    await request.note("accepted", { detail: { ...detail, returned: page.items.length } });
    ctx.body = {
      items: await Promise.all(page.items.map(listItem)),
      nextCursor: page.next ? deps.cursors.encode(page.next, scope) : null,
    };
  });

  router.get(
    "/api/recordings/:recordingId",
    guard(deps, { action: "get", audit: "recordings:get", subject: named }),
    async (ctx) => {
      const recordingId = String(ctx.params.recordingId);
      const request = requestOf(ctx);
      const recording = await visible(request, recordingId);
      const read = await manifests.read(recording);
      const manifest = read?.manifest;
      await request.note("accepted", { serverCallId: recording.serverCallId });
      ctx.body = {
        // As in the list: people, direction, integrity and review status beside the summary.
        recording: await listItem(recording),
        manifestBlob: recording.manifestBlob,
        manifestSha256: recording.manifestSha256,
        manifestIntact: read?.sha256 === recording.manifestSha256 && manifest !== undefined,
        // From the bytes, not the parsed manifest: the signature covers exactly what was written.
        manifestSignature:
          read && manifest
            ? manifestSignatureReport(JSON.parse(read.bytes.toString("utf8")), deps.evidenceVerifier)
            : null,
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
        people: await peopleOf(recording),
        channelMap: manifest?.channelMap ?? [],
        pauses: manifest?.pauses ?? [],
        endedBy: manifest?.endedBy ?? null,
        // Consent or notice by jurisdiction: asked of whom, given or not, heard what, when (docs/consent-flow.md).
        consent: manifest?.consent ?? null,
        policy: {
          outcome: recording.outcome,
          ruleId: recording.ruleId,
          policyHash: manifest?.policy.policyHash ?? null,
          policySetHash: manifest?.policy.policySetHash ?? null,
          retainUntil: manifest?.policy.retainUntil ?? null,
          legalHold: manifest?.policy.legalHold ?? false,
        },
      };
    },
  );

  router.post(
    "/api/recordings/:recordingId/chunks/:chunk/play",
    guard(deps, { action: "play", audit: "recordings:play", subject: named }),
    async (ctx) => {
      const recordingId = String(ctx.params.recordingId);
      const request = requestOf(ctx);
      const principal = asReader(request.principal);
      const recording = await visible(request, recordingId);
      const read = await manifests.read(recording);
      const chunk = chunkOf(read?.manifest, ctx.params.chunk);
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
    },
  );

  // The chunk's waveform peaks, computed after ingest (the chunk-peaks job) and kept beside it, or under
  // _in-place-peaks/ for a chunk sealed in place (peaksBlobName, src/archive/peaks.ts): small JSON, so a page draws
  // each speaker's waveform without fetching the audio. 404 when the chunk has none (mp4, archived before peaks
  // existed, or its peaks job not run yet or given up).
  router.get(
    "/api/recordings/:recordingId/chunks/:chunk/peaks",
    guard(deps, { action: "get", audit: "recordings:peaks", subject: named }),
    async (ctx) => {
      const recordingId = String(ctx.params.recordingId);
      const request = requestOf(ctx);
      const recording = await visible(request, recordingId);
      const read = await manifests.read(recording);
      const chunk = chunkOf(read?.manifest, ctx.params.chunk);
      if (!chunk) return request.refuse(404, "no such chunk", { serverCallId: recording.serverCallId });
      const bytes = await deps.container
        .getBlobClient(peaksBlobName(chunk.blob))
        .downloadToBuffer()
        .catch((error: unknown) => {
          if ((error as { statusCode?: number }).statusCode === 404) return undefined;
          throw error;
        });
      if (!bytes) return request.refuse(404, "no waveform for this chunk", { serverCallId: recording.serverCallId });
      await request.note("accepted", { serverCallId: recording.serverCallId });
      ctx.set("Cache-Control", "private, max-age=3600");
      ctx.type = "application/json";
      ctx.body = bytes;
    },
  );

  // The call's timeline on the recording's audio (src/retrieval/timeline.ts): from the manifest, and from the session,
  // the ledger and the calls API's audit when they still have the call.
  router.get(
    "/api/recordings/:recordingId/timeline",
    guard(deps, { action: "get", audit: "recordings:timeline", subject: named }),
    async (ctx) => {
      const recordingId = String(ctx.params.recordingId);
      const request = requestOf(ctx);
      const recording = await visible(request, recordingId);
      const manifest = (await manifests.read(recording))?.manifest;
      if (!manifest) return request.refuse(404, "manifest unreadable", { serverCallId: recording.serverCallId });
      const { serverCallId } = recording;
      const sources = deps.timeline ?? {};
      const [session, ledger, actions] = await Promise.all([
        sources.sessions?.get(serverCallId),
        sources.ledger?.get(serverCallId),
        sources.callActions?.recent(CALL_ACTIONS_SEARCHED),
      ]);
      const known = session?.startedAt !== undefined || (session?.presence.length ?? 0) > 0;
      const events = buildTimeline({
        recording: {
          startTime: manifest.recording.startTime,
          durationMs: manifest.recording.durationMs,
          endedBy: manifest.endedBy,
        },
        pauses: manifest.pauses.map((p) => ({ startTime: p.startTime, durationMs: p.durationMs })),
        call: {
          ...(session?.startedAt ? { startedAt: session.startedAt } : {}),
          ...(ledger?.endedAt ? { endedAt: ledger.endedAt } : {}),
          ...(session?.announcement ? { announcement: session.announcement } : {}),
          ...(session?.announcements ? { announcements: session.announcements } : {}),
          presence: session?.presence ?? [],
        },
        actions: ledger?.actions ?? [],
        // The signed manifest's consent (the ledger's is the same record, and may be newer: a joiner's refusal).
        consent: ledger?.consent ?? manifest.consent,
        requests: (actions ?? [])
          .filter((a) => a.serverCallId === serverCallId)
          .map((a) => ({ at: a.at, actor: a.actor, action: a.action, outcome: a.outcome, reason: a.reason })),
      });
      await request.note("accepted", { serverCallId });
      ctx.body = {
        events,
        sources: {
          manifest: true,
          session: known,
          ledger: ledger !== undefined,
          callActions: actions !== undefined,
        },
      };
    },
  );

  /** The stream's own credential: a ticket from play, for this recording and chunk, not expired. */
  const ticketOf = (ctx: Koa.Context) => {
    const ticket = ctx.query.ticket;
    if (ticket === undefined) return undefined;
    const index = chunkIndex.safeParse(ctx.params.chunk);
    const claims =
      typeof ticket === "string" && index.success
        ? verifyTicket(deps.playback.ticketSecret, ticket, {
            recordingId: String(ctx.params.recordingId),
            chunk: index.data,
            now: now().getTime(),
          })
        : undefined;
    return { principal: claims?.principal, invalid: "invalid or expired ticket" };
  };
  const streamAccess = guard(deps, {
    action: "play",
    audit: (ctx) => (ctx.query.download === "1" ? "recordings:download" : "recordings:stream"),
    subject: named,
    credential: ticketOf,
  });

  router.get("/api/recordings/:recordingId/chunks/:chunk/stream", streamAccess, async (ctx) => {
    const recordingId = String(ctx.params.recordingId);
    const download = ctx.query.download === "1";
    const request = requestOf(ctx);
    const detail = { range: ctx.get("range") || null, via: ctx.query.ticket !== undefined ? "ticket" : "token" };
    const recording = await visible(request, recordingId, { detail });
    const read = await manifests.read(recording);
    const chunk = chunkOf(read?.manifest, ctx.params.chunk);
    if (!chunk) return request.refuse(404, "no such chunk", { serverCallId: recording.serverCallId, detail });
    const blob = blobAt(deps.container, chunk.blob); // a name, or a URL in the customer's container (docs/byos.md)
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

  router.post(
    "/api/recordings/:recordingId/verify",
    guard(deps, { action: "verify", audit: "recordings:verify", subject: named }),
    async (ctx) => {
      const recordingId = String(ctx.params.recordingId);
      const request = requestOf(ctx);
      const recording = await visible(request, recordingId);
      if (verifying >= verifyConcurrency) {
        ctx.set("Retry-After", "5");
        return request.refuse(429, `${verifyConcurrency} verifications are running: try again in a few seconds`, {
          serverCallId: recording.serverCallId,
        });
      }
      verifying++;
      try {
        const report = await verifyRecording(deps.container, recording, now, deps.evidenceVerifier);
        await deps.index.noteVerification(recordingId, { at: now().toISOString(), ok: report.ok });
        await request.note("accepted", { serverCallId: recording.serverCallId, detail: { ok: report.ok } });
        ctx.body = report;
      } finally {
        verifying--;
      }
    },
  );

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
