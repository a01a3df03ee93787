// QA reviews against real stores (docs/reviews.md): Redis (index, queue, audit stream) and a private Azurite (the
// recordings' archive, where review versions are immutable blobs beside the manifest, and the audit archive).
// Through the HTTP API as the webhook mounts it: storage, versions, team scope, audit, reindex, queue filling.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching, startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { noRetention } from "../../src/archive/index.js";
import { createBlobAuditArchive } from "../../src/audit/blob-archive.js";
import { createAuditLog, createRedisAuditLog, type AuditEntry } from "../../src/audit/log.js";
import { sha256Hex, tokenStore } from "../../src/auth/tokens.js";
import { reviewsRoutes } from "../../src/http/reviews-api.js";
import { loadPolicies } from "../../src/policy/index.js";
import { createRecordingIndex, indexManifest } from "../../src/retrieval/index.js";
import { createReviewArchive, ReviewConflict } from "../../src/reviews/archive.js";
import { reviewIndexKeys } from "../../src/reviews/index-store.js";
import {
  createReviewStores,
  fillQueue,
  loadScorecards,
  recordingsSince,
  reindexReviews,
  reviewStatusOf,
  type ReviewStores,
} from "../../src/reviews/index.js";
import { reviewBlobName, type ReviewDocument } from "../../src/reviews/review.js";
import { createLogger } from "../../src/log.js";
import type { WorkerDependencies } from "../../workers/dependencies.js";
import { fillReviewQueueJob } from "../../workers/jobs/reviews/fill-review-queue.js";
import {
  queueCommand,
  reindexReviewsCommand,
  reportCommand,
  submitReviewCommand,
} from "../../src/cli/reviews-commands.js";
import { listen } from "../support/http.js";
import { connectTarget, redisTargets } from "../support/redis-targets.js";
import type { RedisClient } from "../../src/redis/index.js";
import { runJob } from "../support/run-job.js";

describe.each(redisTargets)("QA reviews on %s", (_label, target) => {
  const prefix = `${inject("runId")}:reviews-${target}-${randomBytes(4).toString("hex")}`;
  const ALICE = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000001-alice";
  const ERIN = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000020-erin";
  const CUSTOMER = "4:+447700900123";

  let redis: RedisClient;
  let dataDir: string;
  let azurite: RunningAzurite;
  let archive: ContainerClient;
  let auditContainer: ContainerClient;
  let stores: ReviewStores;
  let server: Server;
  let base: string;
  const recordings = () => createRecordingIndex(redis, prefix);

  const manifest = (n: number, team: string, agent: string, startTime: string, paused = false) => ({
    serverCallId: `call-${n}`,
    recordingId: `rec-${n}`,
    team,
    call: { caller: agent, callee: CUSTOMER, participants: [agent, CUSTOMER] },
    policy: { ruleId: "r", mode: "required", legalHold: false, retainUntil: "2033-12-07T00:00:00.000Z" },
    recording: { startTime, durationMs: 120_000, channelType: "mixed", format: "wav" },
    channelMap: [],
    pauses: paused ? [{ chunk: 0, startTime, durationMs: 5000 }] : [],
    chunks: [],
    totalBytes: 0,
  });
  const folder = (n: number, team: string) => `${team}/2026/12/07/call-${n}/rec-${n}`;

  async function archiveRecording(n: number, team: string, agent: string, startTime: string, paused = false) {
    const name = `${folder(n, team)}/manifest.json`;
    const body = JSON.stringify(manifest(n, team, agent, startTime, paused));
    await archive.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    await indexManifest(archive, recordings(), name);
  }

  beforeAll(async () => {
    redis = connectTarget(target, { maxRetriesPerRequest: 3 });
    dataDir = await mkdtemp(join(tmpdir(), "reviews-"));
    azurite = await startAzurite(dataDir);
    const service = BlobServiceClient.fromConnectionString(azurite.connectionString);
    archive = service.getContainerClient("recordings");
    await archive.create();
    auditContainer = service.getContainerClient("audit");
    await auditContainer.create();
    const scorecards = await loadScorecards("policies");
    const policies = await loadPolicies("policies");
    stores = createReviewStores({
      redis,
      prefix,
      container: archive,
      retention: noRetention,
      scorecards: () => scorecards,
      policies: () => policies,
    });
    await archiveRecording(1, "trading-desk", ALICE, "2026-12-07T09:00:00.000Z");
    await archiveRecording(2, "trading-desk", ALICE, "2026-12-07T10:00:00.000Z", true);
    await archiveRecording(3, "legal", ERIN, "2026-12-07T11:00:00.000Z");

    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        ctx.status = (error as { status?: number }).status ?? 500;
        ctx.body = { error: (error as Error).message };
      }
    });
    const routes = reviewsRoutes({
      tokens: tokenStore([
        { name: "local-desk-reviewer", role: "team", team: "trading-desk", sha256: sha256Hex("desk") },
        { name: "desk-second", role: "team", team: "trading-desk", sha256: sha256Hex("desk2") },
        { name: "legal-reviewer", role: "team", team: "legal", sha256: sha256Hex("legal") },
        { name: "auditor", role: "auditor", sha256: sha256Hex("audit") },
        { name: "ops", role: "admin", sha256: sha256Hex("ops") },
      ]),
      audit: createAuditLog(redis, prefix, createBlobAuditArchive(auditContainer)),
      recordings: recordings(),
      reviews: stores,
      // Names come from each team's own directory (docs/directory.md): Alice is named for trading-desk only.
      directory: {
        lookup: async (team: string, id: string) =>
          team === "trading-desk" && id === ALICE ? { id, displayName: "Alice Smith", role: "agent" } : undefined,
      },
    });
    app.use(routes.routes());
    ({ server, base } = await listen(app));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await deleteKeysMatching(redis, `${prefix}:*`);
    redis.disconnect();
    await azurite?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function api(method: string, path: string, token: string, body?: unknown) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { text };
    }
    return { status: response.status, body: json, text, type: response.headers.get("content-type") };
  }
  const auditEntries = async () => (await createRedisAuditLog(redis, prefix).recent(500)) as AuditEntry[];

  const deskAnswers = {
    "recording-disclosed": "yes",
    "order-confirmed": "yes",
    "no-personal-advice": "na",
    "best-execution": "no",
    clarity: 4,
    courtesy: 5,
  };

  let reviewId = "";
  let firstSha = "";

  describe("submitting a review", () => {
    it("stores version 1 as an immutable blob beside the manifest, scored, indexed and audited", async () => {
      const { status, body } = await api("POST", "/api/recordings/rec-1/reviews", "desk", {
        answers: deskAnswers,
        comments: [
          { atSeconds: 42.5, text: "Price read back" },
          { atSeconds: 3, text: "Announcement heard" },
        ],
        flags: [],
        summary: "Good call",
      });
      expect(status).toBe(201);
      const review = body.review as ReviewDocument & { versions: { blob: string; sha256: string }[] };
      reviewId = review.reviewId;
      expect(review).toMatchObject({
        version: 1,
        recordingId: "rec-1",
        team: "trading-desk",
        agent: ALICE,
        reviewer: "local-desk-reviewer",
        previousSha256: null,
        comments: [
          { atSeconds: 3, text: "Announcement heard" },
          { atSeconds: 42.5, text: "Price read back" },
        ],
      });
      // compliance: (1 + 3 + 0·1)/5 = 80 %; conduct (0.75 + 1)/2 = 87.5 %; 0.6·80 + 0.4·87.5 = 83 %
      expect(review.score).toMatchObject({ percent: 83, passed: true, criticalFailed: [] });
      const blob = reviewBlobName(`${folder(1, "trading-desk")}/manifest.json`, reviewId, 1);
      expect(review.versions[0]!.blob).toBe(blob);
      firstSha = review.versions[0]!.sha256;
      const stored = await createReviewArchive(archive, noRetention).read(blob);
      expect(stored?.sha256).toBe(firstSha);
      expect(stored?.document).toMatchObject({ reviewId, version: 1, score: { percent: 83 } });
      // Never replaced: a second write under the name is refused, the blob unchanged.
      await expect(
        createReviewArchive(archive, noRetention).write(
          blob,
          { ...stored!.document, summary: "forged" },
          { until: undefined, legalHold: false },
        ),
      ).rejects.toBeInstanceOf(ReviewConflict);
      expect((await createReviewArchive(archive, noRetention).read(blob))?.sha256).toBe(firstSha);
      expect(body.queue).toMatchObject({ status: "done", reviewIds: [reviewId] });
      expect(await auditEntries()).toContainEqual(
        expect.objectContaining({
          actor: "local-desk-reviewer",
          action: "reviews:submit",
          recordingId: "rec-1",
          outcome: "accepted",
          detail: expect.objectContaining({ reviewId, version: 1, score: 83 }),
        }),
      );
    });

    it("refuses answers that do not fit the form (400, audited), and a team without the recording (404)", async () => {
      const bad = await api("POST", "/api/recordings/rec-1/reviews", "desk", {
        answers: { ...deskAnswers, clarity: "yes" },
      });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toContain('clarity: "yes" is not a whole number from 1 to 5');
      const outOfRange = await api("POST", "/api/recordings/rec-1/reviews", "desk", {
        answers: { ...deskAnswers, clarity: 9 },
      });
      expect(outOfRange.status).toBe(400);
      const other = await api("POST", "/api/recordings/rec-1/reviews", "legal", { answers: deskAnswers });
      expect(other.status).toBe(404);
      expect(other.body.error).toBe("no such recording");
      const unknown = await api("POST", "/api/recordings/rec-nope/reviews", "legal", { answers: deskAnswers });
      expect(unknown).toMatchObject({ status: 404, body: { error: "no such recording" } });
      const auditorWrite = await api("POST", "/api/recordings/rec-1/reviews", "audit", { answers: deskAnswers });
      expect(auditorWrite.status).toBe(403);
      const entries = await auditEntries();
      expect(entries).toContainEqual(
        expect.objectContaining({
          actor: "legal-reviewer",
          action: "reviews:submit",
          outcome: "refused 404: no such recording",
        }),
      );
      expect(entries).toContainEqual(
        expect.objectContaining({
          actor: "auditor",
          action: "reviews:submit",
          outcome: expect.stringMatching(/^refused 403/),
        }),
      );
    });
  });

  describe("versions", () => {
    it("a change is version 2, linked to version 1 by its SHA-256; a stale change is 409; version 1 stays readable", async () => {
      const changed = {
        answers: { ...deskAnswers, "recording-disclosed": "no" },
        replaces: 1,
        summary: "Missed the disclosure",
      };
      const { status, body } = await api("POST", `/api/reviews/${reviewId}/versions`, "desk2", changed);
      expect(status).toBe(201);
      const review = body.review as ReviewDocument & { versions: { version: number; reviewer: string }[] };
      expect(review).toMatchObject({ version: 2, previousSha256: firstSha, reviewer: "desk-second" });
      expect(review.score).toMatchObject({ passed: false, criticalFailed: ["recording-disclosed"] });
      expect(review.versions.map((v) => [v.version, v.reviewer])).toEqual([
        [1, "local-desk-reviewer"],
        [2, "desk-second"],
      ]);
      const stale = await api("POST", `/api/reviews/${reviewId}/versions`, "desk", { ...changed, replaces: 1 });
      expect(stale.status).toBe(409);
      const v1 = await api("GET", `/api/reviews/${reviewId}?version=1`, "desk");
      expect(v1.body).toMatchObject({ version: 1, summary: "Good call", intact: true, sha256: firstSha });
      const latest = await api("GET", `/api/reviews/${reviewId}`, "audit");
      expect(latest.body).toMatchObject({ version: 2, summary: "Missed the disclosure" });
    });
  });

  describe("team scope", () => {
    it("another team's reviewer sees none of it: 404 for the recording's reviews, the review, the report; an empty queue", async () => {
      expect((await api("GET", "/api/recordings/rec-1/reviews", "legal")).status).toBe(404);
      expect((await api("GET", `/api/reviews/${reviewId}`, "legal")).status).toBe(404);
      expect((await api("GET", `/api/reviews/${reviewId}?version=1`, "legal")).status).toBe(404);
      expect(
        (await api("POST", `/api/reviews/${reviewId}/versions`, "legal", { answers: deskAnswers, replaces: 2 })).status,
      ).toBe(404);
      expect((await api("GET", "/api/reviews/report?team=trading-desk", "legal")).status).toBe(404);
      expect((await api("GET", "/api/reviews/queue?team=trading-desk", "legal")).status).toBe(404);
      const report = await api("GET", "/api/reviews/report", "legal");
      expect(report.body).toEqual({ teams: ["legal"], rows: [] });
      const queue = await api("GET", "/api/reviews/queue", "legal");
      expect(queue.body.items).toEqual([]);
      expect((await api("GET", "/api/reviews/report", "ops")).status).toBe(403);
      // The owning team and auditors do see it.
      const own = await api("GET", "/api/recordings/rec-1/reviews", "desk");
      expect(own.status).toBe(200);
      expect((own.body.reviews as unknown[]).length).toBe(1);
      expect(own.body.scorecard).toMatchObject({ team: "trading-desk", passMark: 80 });
      const all = await api("GET", "/api/reviews/report", "audit");
      expect(all.body.teams).toEqual(["customer-support", "legal", "trading-desk"]);
    });
  });

  describe("reports", () => {
    it("gives scores per team and agent per week, as JSON and CSV", async () => {
      const json = await api("GET", "/api/reviews/report?from=2026-12-07&to=2026-12-07", "desk");
      expect(json.body.rows).toEqual([
        expect.objectContaining({
          team: "trading-desk",
          week: "2026-W50",
          agent: null,
          reviews: 1,
          failed: 1,
          criticalFailed: 1,
        }),
        expect.objectContaining({
          team: "trading-desk",
          week: "2026-W50",
          agent: ALICE,
          agentName: "Alice Smith",
          reviews: 1,
        }),
      ]);
      expect((await api("GET", "/api/reviews/report?from=2026-12-08", "desk")).body.rows).toEqual([]);
      const csv = await api("GET", "/api/reviews/report?format=csv", "desk");
      expect(csv.type).toContain("text/csv");
      expect(csv.text.split("\r\n")[0]).toBe(
        "team,week,agent,agentName,reviews,meanPercent,passed,failed,criticalFailed,flagged",
      );
      expect(csv.text).toContain(`trading-desk,2026-W50,${ALICE},Alice Smith,1,`);
      const entries = await auditEntries();
      expect(entries).toContainEqual(
        expect.objectContaining({ actor: "local-desk-reviewer", action: "reviews:report", outcome: "accepted" }),
      );
    });
  });

  describe("the queue", () => {
    it("is filled from archived recordings by the team's rules, once; a reviewer's own items first; assignment audited", async () => {
      const ledger = { get: async (id: string) => (id === "call-1" ? { actions: [] } : undefined) };
      const deps = {
        ...stores,
        recordingsSince: recordingsSince(recordings()),
        ledger,
        now: () => new Date("2026-12-08T00:00:00Z"),
      };
      const first = await fillQueue(deps, 7);
      // Desk: 3 per agent per week takes both of alice's, but rec-1 is in the queue already (reviewed before it was
      // queued: its item came with the review); legal samples nobody per week and rec-3 has no pause.
      expect(first.added.map((i) => [i.recordingId, i.reasons, i.assignee])).toEqual([
        ["rec-2", ["agent-sample", "paused"], "local-desk-reviewer"],
      ]);
      expect(first.considered).toBe(3);
      expect((await fillQueue(deps, 7)).added).toEqual([]);
      const queue = await api("GET", "/api/reviews/queue", "desk");
      const items = queue.body.items as { recordingId: string; status: string; agent: string; agentName: unknown }[];
      expect(items.map((i) => [i.recordingId, i.status]).sort()).toEqual(
        [
          ["rec-1", "done"],
          ["rec-2", "to-review"],
        ].sort(),
      );
      // Each agent by name where the team's directory has them, else by id alone.
      for (const item of items) expect(item.agentName).toBe(item.agent === ALICE ? "Alice Smith" : null);
      const assign = await api("POST", "/api/reviews/queue/rec-2/assign", "desk", { reviewer: "desk-second" });
      expect(assign.body).toMatchObject({ assignee: "desk-second" });
      const theirs = await api("GET", "/api/reviews/queue", "desk2");
      expect((theirs.body.items as { recordingId: string }[])[0]!.recordingId).toBe("rec-2");
      const start = await api("POST", "/api/reviews/queue/rec-2/start", "desk2");
      expect(start.body).toMatchObject({ status: "in-progress", assignee: "desk-second" });
      expect((await api("POST", "/api/reviews/queue/rec-2/assign", "legal", { reviewer: "x" })).status).toBe(404);
      expect(await auditEntries()).toContainEqual(
        expect.objectContaining({
          action: "reviews:assign",
          recordingId: "rec-2",
          detail: { from: "local-desk-reviewer", to: "desk-second" },
        }),
      );
    });

    it("a flagged review sends the recording back for a second look by another reviewer; a dispute marks it disputed", async () => {
      const flagged = await api("POST", "/api/recordings/rec-2/reviews", "desk2", {
        answers: deskAnswers,
        flags: [{ kind: "compliance-breach", note: "card number audible before the pause" }],
        comments: [{ atSeconds: 61, text: "Card digits audible here" }],
      });
      expect(flagged.status).toBe(201);
      expect(flagged.body.queue).toMatchObject({
        status: "to-review",
        reasons: ["agent-sample", "paused", "flagged"],
        assignee: "local-desk-reviewer",
      });
      const id = (flagged.body.review as { reviewId: string }).reviewId;
      const disputed = await api("POST", `/api/reviews/${id}/versions`, "desk2", {
        answers: deskAnswers,
        flags: [{ kind: "dispute", note: "agent disputes" }],
        replaces: 1,
      });
      expect(disputed.body.queue).toMatchObject({ status: "disputed" });
    });
  });

  describe("the review status the recordings list shows", () => {
    it("is the queue item's status, else reviewed, else null", async () => {
      const status = reviewStatusOf(stores);
      expect(await status({ recordingId: "rec-2", team: "trading-desk" })).toBe("disputed");
      expect(await status({ recordingId: "rec-1", team: "trading-desk" })).toBe("done");
      await redis.hdel(`${prefix}:rq:{trading-desk}:items`, "rec-1");
      expect(await status({ recordingId: "rec-1", team: "trading-desk" })).toBe("reviewed");
      expect(await status({ recordingId: "rec-3", team: "legal" })).toBeNull();
    });
  });

  describe("the fill-review-queue job", () => {
    it("takes a recording archived after the last run, and only that one", async () => {
      const BOB = "8:acs:5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10_00000002-bob";
      await archiveRecording(4, "trading-desk", BOB, "2026-12-08T09:00:00.000Z");
      const ledger = { get: async () => undefined };
      const deps = {
        logger: createLogger("silent", "test"),
        fillReviewQueue: () =>
          fillQueue(
            {
              ...stores,
              recordingsSince: recordingsSince(recordings()),
              ledger,
              now: () => new Date("2026-12-09T00:00:00Z"),
            },
            7,
          ),
        fillReviewQueueEveryMs: 0,
      } as unknown as WorkerDependencies;
      const result = await runJob(fillReviewQueueJob, deps, {});
      expect(result).toEqual({
        considered: 1,
        added: [{ team: "trading-desk", recordingId: "rec-4", reasons: ["agent-sample"] }],
      });
      expect(await runJob(fillReviewQueueJob, deps, {})).toEqual({ considered: 0, added: [] });
    });
  });

  describe("the command line", () => {
    const output = () => {
      const lines: string[] = [];
      return {
        lines,
        io: { out: (line: string) => void lines.push(line), err: (line: string) => void lines.push(`ERR ${line}`) },
      };
    };
    it("submits with answers, a pinned comment and a flag, lists the queue and writes the report as CSV", async () => {
      const submit = output();
      const code = await submitReviewCommand(
        "rec-3",
        {
          url: base,
          token: "legal",
          answer: ["privilege-flagged=yes", "counterpart-identified=yes", "matter-referenced=na", "clarity=4"],
          comment: ["12.5=Matter reference said"],
          flag: ["coaching=slow start"],
        },
        submit.io,
      );
      expect(code).toBe(0);
      // privilege (1 + 1)/2 = 100 %, record keeping 75 %: 0.7·100 + 0.3·75 = 92.5 %
      expect(submit.lines[0]).toMatch(/^review [0-9a-f-]{36} version 1: 92\.5% passed; queue (done|to-review)$/);
      const queue = output();
      await queueCommand({ url: base, token: "legal" }, queue.io);
      expect(queue.lines[0]).toBe("queue of legal-reviewer (own items first)");
      expect(queue.lines.some((l) => l.includes("rec-3"))).toBe(true);
      const report = output();
      await reportCommand({ url: base, token: "legal", csv: true }, report.io);
      expect(report.lines.join("\n")).toContain(`legal,2026-W50,${ERIN},,1,92.5,1,0,0,1`);
      await expect(
        submitReviewCommand("rec-1", { url: base, token: "legal", answer: [], comment: [], flag: [] }, output().io),
      ).rejects.toThrow("HTTP 404: no such recording");
    });

    it("reindexes, audited with the operator as actor", async () => {
      const run = output();
      expect(
        await reindexReviewsCommand(
          stores,
          createAuditLog(redis, prefix, createBlobAuditArchive(auditContainer)),
          "ops-person",
          run.io,
        ),
      ).toBe(0);
      expect(run.lines).toEqual(["3 review(s), 5 version(s) indexed"]);
      expect(await auditEntries()).toContainEqual(
        expect.objectContaining({ actor: "ops-person", action: "reviews:reindex", outcome: "reindexed" }),
      );
    });
  });

  describe("reindex", () => {
    it("rebuilds the index from the archive alone, and stops a review at a version that does not link up", async () => {
      const keys = reviewIndexKeys(prefix);
      const before = await stores.index.get(reviewId);
      // One key per command: Redis Cluster refuses a DEL across hash slots.
      for (const key of [keys.review(reviewId), keys.recording("rec-1"), keys.team("trading-desk")])
        await redis.del(key);
      expect(await stores.index.get(reviewId)).toBeUndefined();
      const result = await reindexReviews(stores);
      expect(result).toEqual({ reviews: 3, versions: 5, problems: [] });
      expect(await stores.index.get(reviewId)).toEqual(before);
      expect((await stores.index.ofTeam("trading-desk", {}, 10)).map((r) => r.reviewId)).toContain(reviewId);

      // A version 3 written beside the others that does not name version 2's hash is not taken as the review.
      const v2 = (await stores.archive.read(before!.versions[1]!.blob))!;
      const forged = { ...v2.document, version: 3, summary: "rewritten", previousSha256: firstSha };
      await stores.archive.write(reviewBlobName(`${folder(1, "trading-desk")}/manifest.json`, reviewId, 3), forged, {
        until: undefined,
        legalHold: false,
      });
      const again = await reindexReviews(stores);
      expect(again.problems).toEqual([expect.stringContaining(`review ${reviewId}: version 3`)]);
      expect((await stores.index.get(reviewId))?.latest.version).toBe(2);
    });
  });
});
