import Router from "@koa/router";
import type Koa from "koa";
import { z } from "zod";
import type { AuditLog } from "../audit/index.js";
import type { TokenStore } from "../auth/index.js";
import { parseJson, readBody, IntakeError } from "../intake/index.js";
import { describeIssues, type IndexedRecording, type RecordingIndex } from "../retrieval/index.js";
import {
  orderQueue,
  QUEUE_STATUSES,
  reportCsv,
  assignReviewer,
  ReviewRefused,
  startReviewing,
  submission,
  submitReview,
  teamReport,
  type IndexedReview,
  type ReviewStores,
} from "../reviews/index.js";
import type { DirectorySource } from "../directory/index.js";
import { guard, requestOf, type AuditedRequest } from "./api-access.js";

export interface ReviewsApiDependencies {
  tokens: TokenStore;
  audit: AuditLog;
  /** The recordings index: a review's recording and its team. */
  recordings: Pick<RecordingIndex, "get">;
  reviews: ReviewStores;
  /** Names for agents' ids in the queue and reports (each team's own directory, docs/directory.md); ids alone without. */
  directory?: Pick<DirectorySource, "lookup">;
}

const NO_SUCH_RECORDING = "no such recording";
const NO_SUCH_REVIEW = "no such review";
/** Review ids are UUIDs; anything else under /api/reviews/ is no review (the queue and report routes come first). */
const REVIEW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const teamQuery = z.strictObject({ team: z.string().min(1).max(200).optional() });
const queueQuery = teamQuery.extend({ status: z.enum(QUEUE_STATUSES).optional() });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a UTC date, yyyy-mm-dd");
const reportQuery = teamQuery.extend({
  from: day.optional(),
  to: day.optional(),
  format: z.enum(["json", "csv"]).default("json"),
});
const versionQuery = z.strictObject({ version: z.coerce.number().int().min(1).optional() });
const assignBody = z.strictObject({ reviewer: z.string().trim().min(1).max(200).nullable() });

/** A review as the API shows it: the latest version in full, every version's blob, hash, reviewer and time. */
const shown = (review: IndexedReview) => ({ ...review.latest, versions: review.versions });

/**
 * QA reviews (docs/reviews.md "API"): a recording's reviews and its team's scorecard, submitting a review and
 * later versions, the review queue (a reviewer's own first), assignment, and reports (JSON or CSV). A team token
 * works on its own team's only — another team's recording, review or queue answers 404 as if it did not exist;
 * auditors read every team's and write nothing. Every request with a valid token is audited.
 */
export function reviewsRoutes(deps: ReviewsApiDependencies): Router {
  /** An agent's display name in their team's directory, or null (no directory, no entry, or the team row). */
  const agentName = async (team: string, agent: string | null): Promise<string | null> =>
    agent === null || !deps.directory ? null : ((await deps.directory.lookup(team, agent))?.displayName ?? null);
  const router = new Router();

  const visibleRecording = async (request: AuditedRequest, recordingId: string): Promise<IndexedRecording> => {
    const recording = await deps.recordings.get(recordingId);
    if (!recording) return request.refuse(404, NO_SUCH_RECORDING);
    await request.requireTarget({ team: recording.team }, NO_SUCH_RECORDING);
    return recording;
  };
  const visibleReview = async (request: AuditedRequest, reviewId: string): Promise<IndexedReview> => {
    const review = REVIEW_ID.test(reviewId) ? await deps.reviews.index.get(reviewId) : undefined;
    if (!review) return request.refuse(404, NO_SUCH_REVIEW);
    await request.requireTarget({ team: review.team }, NO_SUCH_REVIEW, { recordingId: review.recordingId });
    return review;
  };
  /** The teams a request is about: `?team=` (checked), a team token's own, or an auditor's every team with a scorecard. */
  const teamsOf = async (request: AuditedRequest, team: string | undefined, detail: unknown) => {
    const { principal } = request;
    const chosen = team ?? (principal.role === "team" ? principal.team : undefined);
    if (chosen !== undefined) {
      await request.requireTarget({ team: chosen }, "no such team", { detail: { query: detail } });
      return [chosen];
    }
    await request.requireTarget("all-teams", "no such team", { detail: { query: detail } });
    return [...deps.reviews.scorecards().keys()].sort();
  };
  const body = async (request: AuditedRequest, ctx: Koa.Context): Promise<unknown> => {
    try {
      return parseJson(await readBody(ctx.req, 256 * 1024));
    } catch (error) {
      if (error instanceof IntakeError) return request.refuse(error.status, error.message);
      throw error;
    }
  };
  const submitted = async (
    request: AuditedRequest,
    ctx: Koa.Context,
    recording: IndexedRecording,
    reviewId: string | undefined,
  ) => {
    const raw = await body(request, ctx);
    const parsed = submission.safeParse(raw);
    const subject = { recordingId: recording.recordingId, serverCallId: recording.serverCallId };
    if (!parsed.success) return request.refuse(400, describeIssues(parsed.error), subject);
    try {
      const { review, item } = await submitReview(deps.reviews, {
        recording,
        reviewer: request.principal.name,
        submission: parsed.data,
        reviewId,
      });
      await request.note("accepted", {
        ...subject,
        detail: {
          reviewId: review.reviewId,
          version: review.latest.version,
          sha256: review.versions.at(-1)?.sha256,
          score: review.latest.score.percent,
          passed: review.latest.score.passed,
          flags: review.latest.flags.map((f) => f.kind),
          queue: item.status,
        },
      });
      ctx.status = 201;
      ctx.body = { review: shown(review), queue: item };
    } catch (error) {
      if (error instanceof ReviewRefused) return request.refuse(error.status, error.message, subject);
      throw error;
    }
  };

  const recordingSubject = (ctx: Koa.Context) => ({ recordingId: String(ctx.params.recordingId) });

  router.get(
    "/api/recordings/:recordingId/reviews",
    guard(deps, { action: "review:read", audit: "reviews:list", subject: recordingSubject }),
    async (ctx) => {
      const request = requestOf(ctx);
      const recording = await visibleRecording(request, String(ctx.params.recordingId));
      const reviews = await deps.reviews.index.ofRecording(recording.recordingId);
      const item = await deps.reviews.queue.get(recording.team, recording.recordingId);
      await request.note("accepted", { serverCallId: recording.serverCallId, detail: { returned: reviews.length } });
      const card = deps.reviews.scorecards().get(recording.team);
      ctx.body = {
        scorecard: card ? { ...card, file: undefined } : null,
        reviews: reviews.map(shown),
        queue: item ?? null,
      };
    },
  );

  router.post(
    "/api/recordings/:recordingId/reviews",
    guard(deps, { action: "review:write", audit: "reviews:submit", subject: recordingSubject }),
    async (ctx) => {
      const request = requestOf(ctx);
      const recording = await visibleRecording(request, String(ctx.params.recordingId));
      await submitted(request, ctx, recording, undefined);
    },
  );

  router.get("/api/reviews/queue", guard(deps, { action: "review:read", audit: "reviews:queue" }), async (ctx) => {
    const request = requestOf(ctx);
    const query = queueQuery.safeParse(ctx.query);
    if (!query.success) return request.refuse(400, describeIssues(query.error), { detail: { query: ctx.query } });
    const teams = await teamsOf(request, query.data.team, ctx.query);
    const items = (await Promise.all(teams.map((team) => deps.reviews.queue.list(team)))).flat();
    const wanted = query.data.status === undefined ? items : items.filter((i) => i.status === query.data.status);
    const ordered = orderQueue(wanted, request.principal.role === "team" ? request.principal.name : undefined);
    await request.note("accepted", { detail: { query: ctx.query, returned: ordered.length } });
    // Whether the caller's teams review with a scorecard at all (the QA page then shows "My queue" first).
    const reviewing = teams.some((team) => deps.reviews.scorecards().has(team));
    const named = await Promise.all(ordered.map(async (i) => ({ ...i, agentName: await agentName(i.team, i.agent) })));
    ctx.body = { reviewer: request.principal.name, reviewing, items: named };
  });

  const queueItem = async (request: AuditedRequest, recordingId: string) => {
    const recording = await visibleRecording(request, recordingId);
    const item = await deps.reviews.queue.get(recording.team, recording.recordingId);
    if (!item)
      return request.refuse(404, "the recording is not in the review queue", { serverCallId: recording.serverCallId });
    return { recording, item };
  };

  /** A change of a queue item (src/reviews: atomic); its refusal (404 gone meanwhile, 409) answered and audited. */
  const queueChange = async <T>(
    request: AuditedRequest,
    recording: IndexedRecording,
    change: () => Promise<T>,
  ): Promise<T> => {
    try {
      return await change();
    } catch (error) {
      if (error instanceof ReviewRefused)
        return request.refuse(error.status, error.message, { serverCallId: recording.serverCallId });
      throw error;
    }
  };

  router.post(
    "/api/reviews/queue/:recordingId/assign",
    guard(deps, { action: "review:assign", audit: "reviews:assign", subject: recordingSubject }),
    async (ctx) => {
      const request = requestOf(ctx);
      const { recording } = await queueItem(request, String(ctx.params.recordingId));
      const parsed = assignBody.safeParse(await body(request, ctx));
      if (!parsed.success)
        return request.refuse(400, describeIssues(parsed.error), { serverCallId: recording.serverCallId });
      // Applied to the item as it is when written (a review or a start at the same instant is kept).
      const assigned = await queueChange(request, recording, () =>
        assignReviewer(deps.reviews.queue, recording, parsed.data.reviewer),
      );
      await request.note("accepted", {
        serverCallId: recording.serverCallId,
        detail: { from: assigned.from, to: parsed.data.reviewer },
      });
      ctx.body = assigned.item;
    },
  );

  router.post(
    "/api/reviews/queue/:recordingId/start",
    guard(deps, { action: "review:write", audit: "reviews:start", subject: recordingSubject }),
    async (ctx) => {
      const request = requestOf(ctx);
      const { recording } = await queueItem(request, String(ctx.params.recordingId));
      // Of two reviewers starting it at once, one gets it; a start after the review was done is refused (409).
      const next = await queueChange(request, recording, () =>
        startReviewing(deps.reviews.queue, recording, request.principal.name),
      );
      await request.note("accepted", { serverCallId: recording.serverCallId, detail: { status: next.status } });
      ctx.body = next;
    },
  );

  router.get("/api/reviews/report", guard(deps, { action: "review:read", audit: "reviews:report" }), async (ctx) => {
    const request = requestOf(ctx);
    const query = reportQuery.safeParse(ctx.query);
    if (!query.success) return request.refuse(400, describeIssues(query.error), { detail: { query: ctx.query } });
    const teams = await teamsOf(request, query.data.team, ctx.query);
    const from = query.data.from ? new Date(`${query.data.from}T00:00:00Z`) : undefined;
    // `to` is a whole day, included.
    const to = query.data.to ? new Date(Date.parse(`${query.data.to}T00:00:00Z`) + 86_400_000) : undefined;
    const rows = await Promise.all(
      (await teamReport(deps.reviews.index, teams, { from, to })).map(async (row) => ({
        ...row,
        agentName: await agentName(row.team, row.agent),
      })),
    );
    await request.note("accepted", { detail: { query: ctx.query, rows: rows.length } });
    if (query.data.format === "csv") {
      ctx.type = "text/csv; charset=utf-8";
      ctx.set("Content-Disposition", `attachment; filename="reviews-report.csv"`);
      ctx.set("Cache-Control", "no-store");
      ctx.body = reportCsv(rows);
      return;
    }
    ctx.body = { teams, rows };
  });

  router.get("/api/reviews/:reviewId", guard(deps, { action: "review:read", audit: "reviews:get" }), async (ctx) => {
    const request = requestOf(ctx);
    const review = await visibleReview(request, String(ctx.params.reviewId));
    const query = versionQuery.safeParse(ctx.query);
    const subject = { recordingId: review.recordingId, detail: { reviewId: review.reviewId, query: ctx.query } };
    if (!query.success) return request.refuse(400, describeIssues(query.error), subject);
    if (query.data.version === undefined) {
      await request.note("accepted", subject);
      ctx.body = shown(review);
      return;
    }
    // An earlier version, read from the archive and checked against the hash the index recorded.
    const ref = review.versions.find((v) => v.version === query.data.version);
    if (!ref) return request.refuse(404, "no such version", subject);
    const stored = await deps.reviews.archive.read(ref.blob);
    const intact = stored?.sha256 === ref.sha256;
    await request.note(intact ? "accepted" : "accepted: version does not match its recorded SHA-256", subject);
    ctx.body = { ...(stored?.document ?? {}), blob: ref.blob, sha256: ref.sha256, intact };
  });

  router.post(
    "/api/reviews/:reviewId/versions",
    guard(deps, { action: "review:write", audit: "reviews:submit" }),
    async (ctx) => {
      const request = requestOf(ctx);
      const review = await visibleReview(request, String(ctx.params.reviewId));
      const recording = await visibleRecording(request, review.recordingId);
      await submitted(request, ctx, recording, review.reviewId);
    },
  );

  return router;
}
