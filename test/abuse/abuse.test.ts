// The abuse suite (issue 15; docs/security.md): the webhook as production builds it, in this process, attacked with
// generated requests (fast-check) — ABUSE_RUNS (default 10 000) per public endpoint, 10 000 unauthenticated ones,
// oversized and deeply nested bodies, every tampered cursor and stream ticket. What must hold: no answer is 5xx;
// anonymous traffic writes nothing (no audit entry, no job, under 1 MB of Redis); only what was accepted is stored,
// queued or audited.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outboxKeys } from "../../src/intake/outbox.js";
import { QueueName } from "../../src/queues/index.js";
import type { IndexedRecording } from "../../src/retrieval/summary.js";
import * as documented from "../fixtures/documented-events.js";
import { client, tally, unexpected, type Answer, type Attempt } from "./client.js";
import { startHarness, TOKENS, type Harness } from "./harness.js";

const RUNS = Number(process.env.ABUSE_RUNS ?? 10_000);
/** A volume test's time limit: generous, for a machine shared with other test files (each takes 5–40 s alone). */
const VOLUME = { timeout: 300_000 };
const SEED = Number(process.env.ABUSE_SEED ?? Date.now() % 1_000_000);

let h: Harness;
let http: ReturnType<typeof client>;
let desk: IndexedRecording;
let legal: IndexedRecording;
let callbackAuthorization: string;
/** A listing cursor as the API hands it out (to desk's reviewer). */
let cursor: string;

/**
 * A stream ticket as the API hands it out (to desk's reviewer), minted when a test needs it: one minted before the
 * 10 000-request runs could outlive its 5 minutes on a loaded machine, and its refusal would look like a bug.
 */
async function freshTicketUrl(): Promise<string> {
  const play = await h.fetch(`/api/recordings/${encodeURIComponent(desk.recordingId)}/chunks/0/play`, {
    method: "POST",
    token: TOKENS.desk,
  });
  return ((await play.json()) as { url: string }).url;
}

beforeAll(async () => {
  // Limits off: every request reaches the code under attack (test/abuse/limits.test.ts covers the limits).
  h = await startHarness({ RATE_LIMIT_PER_ADDRESS: "0", RATE_LIMIT_PER_TOKEN: "0", MAX_BODY_BYTES: "262144" });
  http = client(h.url);
  desk = await h.seedRecording("trading-desk");
  await h.seedRecording("trading-desk");
  legal = await h.seedRecording("legal");
  callbackAuthorization = `Bearer ${await h.issuer.sign({ aud: h.config.ACS_RESOURCE_ID, expiresIn: "1h" })}`;
  const page = await h.fetch("/api/recordings?limit=1", { token: TOKENS.desk });
  cursor = ((await page.json()) as { nextCursor: string }).nextCursor;
  expect(cursor).toEqual(expect.any(String));
}, 60_000);
afterAll(async () => {
  http?.close();
  await h?.stop();
});

const sample = <T>(arbitrary: fc.Arbitrary<T>, runs = RUNS, offset = 0) =>
  fc.sample(arbitrary, { numRuns: runs, seed: SEED + offset });
const authorization = (token: string) => `Bearer ${token}`;
const json = { "content-type": "application/json" };

// --- Generators ---

/** Every kind of credential a caller might send: each role's token, none, and broken ones. */
const credential = fc.constantFrom<string | undefined>(
  authorization(TOKENS.desk),
  authorization(TOKENS.legal),
  authorization(TOKENS.auditor),
  authorization(TOKENS.admin),
  undefined,
  "Bearer",
  "Bearer not-a-token",
  `bearer ${TOKENS.desk}`,
  `Bearer ${TOKENS.desk} extra`,
  `Basic ${Buffer.from(`x:${TOKENS.admin}`).toString("base64")}`,
  `Bearer ${"A".repeat(4000)}`,
);
const withCredential = (value: string | undefined, headers: Record<string, string> = {}) =>
  value === undefined ? headers : { ...headers, authorization: value };

/** A path segment: ids that exist (ours, another team's), any text, path tricks, malformed escapes, long ones. */
const segment = () =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(desk.recordingId, legal.recordingId).map(encodeURIComponent) },
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map(encodeURIComponent) },
    { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).map(encodeURIComponent) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        ".",
        "..",
        "%2e%2e",
        "%",
        "%E0%A4%A",
        "%00",
        "a%2Fb",
        "%252e",
        "__proto__",
        "constructor",
      ),
    },
    { weight: 1, arbitrary: fc.string({ minLength: 1000, maxLength: 4000 }).map(encodeURIComponent) },
  );
const chunk = fc.oneof(
  fc.constantFrom("0", "1", "2", "-1", "99999", "1e3", "0x1", "1.5", "NaN"),
  fc.integer().map(String),
  fc.string({ minLength: 1, maxLength: 8 }).map(encodeURIComponent),
);
const queryValue = () =>
  fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(
      "trading-desk",
      "legal",
      "2026-11-23",
      "2026-11-23T09:00:00Z",
      "2000-01-01T00:00:00Z",
      "required",
      "best-effort",
      "0",
      "1",
      "-1",
      "200",
      "201",
      "1e309",
      "NaN",
      "4:+447700900123",
      cursor,
      `${cursor.slice(0, -2)}AA`,
    ),
    fc.integer().map(String),
    fc.string({ minLength: 500, maxLength: 2000 }),
  );
const queryKey = fc.oneof(
  fc.constantFrom(
    "team",
    "from",
    "to",
    "participant",
    "serverCallId",
    "minDurationSeconds",
    "maxDurationSeconds",
    "outcome",
    "limit",
    "cursor",
    "day",
    "actor",
    "action",
    "recordingId",
    "download",
    "ticket",
    "__proto__",
    "constructor",
  ),
  fc.string({ maxLength: 10 }),
);
const query = () =>
  fc
    .array(fc.tuple(queryKey, queryValue()), { maxLength: 6 })
    .map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs).toString()}` : ""));

/** Replaces, deletes or retypes one value somewhere inside a JSON document. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== "object") return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head, ...rest] = path;
  const index = head! % (entries.length + 1);
  if (index === entries.length) return replacement;
  const [key, child] = entries[index]!;
  const changed = rest.length === 0 && replacement === "__delete__" ? undefined : mutate(child, rest, replacement);
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === key ? changed : v));
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (changed === undefined) delete copy[key];
  else copy[key] = changed;
  return copy;
}
/** A nested array `depth` deep, as JSON text. */
const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
/** Bodies made from `seeds` (mutated), any JSON, any text or bytes, and deeply nested ones. */
const bodies = (seeds: unknown[]) =>
  fc.oneof(
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...seeds), fc.uuid())
        .map(([seed, id]) => JSON.stringify(seed).replace(/"id":"[^"]*"/, `"id":"${id}"`)),
    },
    {
      weight: 6,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...seeds),
          fc.array(fc.nat(20), { maxLength: 6 }),
          fc.oneof(fc.jsonValue(), fc.constant("__delete__"), fc.string(), fc.constant(null), fc.integer()),
          fc.uuid(),
        )
        .map(([seed, path, replacement, id]) =>
          // A fresh id now and then, so accepted events are really stored, not only de-duplicated.
          (JSON.stringify(mutate(seed, path, replacement)) ?? "null").replace(/"id":"[^"]*"/, `"id":"${id}"`),
        ),
    },
    { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? "null") },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("latin1")) },
    { weight: 1, arbitrary: fc.integer({ min: 30, max: 5_000 }).map(nested) },
  );

const eventGridSeeds = [
  [documented.incomingCall],
  [documented.callStarted],
  [documented.callEnded],
  [documented.participantAdded],
  [documented.recordingFileStatusUpdated],
  [documented.subscriptionValidation],
  [documented.callStarted, documented.callEnded],
];
const callbackSeeds = [documented.callConnectedCallback, documented.recordingStateChangedCallback];
const exportSeeds = () => [
  { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z" },
  { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", team: "legal", label: "case 1" },
  { from: "2026-11-23", to: "2026-11-24", participant: "8:acs:abuse_00000001-alice", outcome: "required" },
  { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", serverCallId: desk.serverCallId, folder: "legal/x" },
];

async function run(attempts: Attempt[], allowed: number[]): Promise<Answer[]> {
  const answers = await http.all(attempts);
  expect(unexpected(attempts, answers, allowed), JSON.stringify(tally(answers))).toEqual([]);
  return answers;
}

// --- The suite ---

describe(`abuse (${RUNS} per endpoint, seed ${SEED})`, () => {
  it(
    "10 000 unauthenticated requests: all 401, nothing audited, queued or stored, Redis grows under 1 MB",
    VOLUME,
    async () => {
      const ticketPath = (await freshTicketUrl()).replace(/ticket=[^&]+/, "");
      const routes: ((s: string, c: string) => Attempt)[] = [
        (s) => ({ method: "GET", path: `/api/recordings${s.length % 2 ? "?limit=5" : ""}` }),
        (s) => ({ method: "GET", path: `/api/recordings/${s}` }),
        (s, c) => ({ method: "POST", path: `/api/recordings/${s}/chunks/${c}/play` }),
        (s, c) => ({ method: "GET", path: `/api/recordings/${s}/chunks/${c}/stream` }),
        (s) => ({ method: "GET", path: `${ticketPath}ticket=${encodeURIComponent(s)}` }),
        (s) => ({ method: "POST", path: `/api/recordings/${s}/verify` }),
        (s) => ({ method: "POST", path: "/api/exports", headers: json, body: JSON.stringify({ from: s, to: s }) }),
        (s) => ({ method: "GET", path: `/api/exports/${s}` }),
        () => ({ method: "GET", path: "/api/audit" }),
        (s) => ({ method: "POST", path: `/api/recordings/${s}/reviews`, headers: json, body: '{"answers":{}}' }),
        (s) => ({ method: "GET", path: `/api/reviews/queue?team=${s}` }),
        (s) => ({ method: "POST", path: `/api/calls/${s}/recording:pause`, headers: json, body: '{"reason":"x"}' }),
        (s) => ({
          method: "POST",
          path: `/api/eventgrid?code=${s}`,
          headers: json,
          body: JSON.stringify([documented.callEnded]),
        }),
        () => ({ method: "POST", path: "/api/callbacks", headers: json, body: JSON.stringify(callbackSeeds[0]) }),
        (s) => ({ method: "GET", path: `/admin/queues/api/queues?${s}` }),
        () => ({ method: "PUT", path: "/admin/queues/api/queues/control/pause" }),
        () => ({ method: "GET", path: "/metrics" }),
      ];
      const badCredential = fc.constantFrom<string | undefined>(
        undefined,
        "Bearer not-a-token",
        `Bearer ${"x".repeat(2000)}`,
        `Basic ${Buffer.from(`x:${TOKENS.admin}`).toString("base64")}`,
        "Bearer",
        `Bearer ${TOKENS.desk}x`,
      );
      const attempts = sample(
        fc.tuple(fc.nat(routes.length - 1), segment(), chunk, badCredential).map(([route, s, c, credentialValue]) => {
          const attempt = routes[route]!(s, c);
          return { ...attempt, headers: withCredential(credentialValue, attempt.headers) };
        }),
        10_000,
        1,
      );
      const before = {
        audit: await h.auditCounts(),
        jobs: await h.jobCounts(),
        outbox: await h.runtime.redis.xlen(outboxKeys(h.prefix).stream),
        bytes: await h.redisBytes(),
      };
      await run(attempts, [401]);
      const grown = (await h.redisBytes()) - before.bytes;
      expect(grown).toBeLessThan(1024 * 1024);
      expect(await h.auditCounts()).toEqual(before.audit);
      expect(await h.jobCounts()).toBe(before.jobs);
      expect(await h.runtime.redis.xlen(outboxKeys(h.prefix).stream)).toBe(before.outbox);
    },
  );

  it("GET /api/audit: generated queries under every credential", VOLUME, async () => {
    const attempts = sample(
      fc
        .tuple(query(), credential)
        .map(([q, c]) => ({ method: "GET", path: `/api/audit${q}`, headers: withCredential(c) })),
      RUNS,
      2,
    );
    await run(attempts, [200, 400, 401, 403]);
  });

  it("POST /api/eventgrid: generated bodies; only accepted deliveries are stored", VOLUME, async () => {
    const path = `/api/eventgrid?code=${h.eventGridSecret}`;
    const attempts = sample(
      bodies(eventGridSeeds).map((body) => ({ method: "POST", path, headers: json, body })),
      RUNS,
      3,
    );
    const answers = await run(attempts, [200, 400, 413]);
    await expectStoredOnlyIfAccepted(attempts, answers, "eventgrid");
  });

  it(
    "POST /api/callbacks: generated bodies with a valid ACS token; only accepted callbacks are stored",
    VOLUME,
    async () => {
      const attempts = sample(
        bodies(callbackSeeds).map((body) => ({
          method: "POST",
          path: "/api/callbacks",
          headers: { ...json, authorization: callbackAuthorization },
          body,
        })),
        RUNS,
        4,
      );
      const answers = await run(attempts, [200, 400, 413]);
      await expectStoredOnlyIfAccepted(attempts, answers, "callback");
    },
  );

  it("GET /api/recordings: generated queries and cursors under every credential", VOLUME, async () => {
    const attempts = sample(
      fc
        .tuple(query(), credential)
        .map(([q, c]) => ({ method: "GET", path: `/api/recordings${q}`, headers: withCredential(c) })),
      RUNS,
      5,
    );
    await run(attempts, [200, 400, 401, 403]);
  });

  it(
    "GET /api/recordings/:id, play, stream and verify: generated ids, chunks, tickets and ranges",
    VOLUME,
    async () => {
      const range = fc.oneof(
        fc.constant(undefined),
        fc.constantFrom(
          "bytes=0-99",
          "bytes=-10",
          "bytes=100-",
          "bytes=99999999999999999999-",
          "bytes=5-1",
          "bytes=0-0,2-3",
        ),
        fc.string({ maxLength: 20 }).map((s) => `bytes=${s.replace(/[^\x20-\x7e]/g, "")}`),
      );
      const ticketUrl = await freshTicketUrl();
      const ticket = fc.oneof(
        fc.constant(undefined),
        fc.constant(new URL(ticketUrl, "http://x").searchParams.get("ticket")!),
        fc.string({ maxLength: 200 }),
      );
      const attempt = fc
        .tuple(fc.nat(3), segment(), chunk, credential, range, ticket, fc.boolean())
        .map(([kind, id, c, credentialValue, rangeValue, ticketValue, download]): Attempt => {
          const headers = withCredential(credentialValue, rangeValue ? { range: rangeValue } : {});
          if (kind === 0) return { method: "GET", path: `/api/recordings/${id}`, headers };
          if (kind === 1) return { method: "POST", path: `/api/recordings/${id}/chunks/${c}/play`, headers };
          if (kind === 2) return { method: "POST", path: `/api/recordings/${id}/verify`, headers };
          const params = new URLSearchParams();
          if (ticketValue !== undefined) params.set("ticket", ticketValue);
          if (download) params.set("download", "1");
          return { method: "GET", path: `/api/recordings/${id}/chunks/${c}/stream?${params.toString()}`, headers };
        });
      // Each of the four routes gets RUNS requests.
      await run(sample(attempt, RUNS * 4, 6), [200, 206, 401, 403, 404, 416, 429]);
    },
  );

  it(
    "the reviews API (docs/reviews.md): generated ids, queries and bodies under every credential",
    VOLUME,
    async () => {
      const answer = fc.oneof(
        fc.constantFrom<unknown>("yes", "no", "na", "maybe", null),
        fc.integer({ min: -2, max: 7 }),
      );
      const submission = fc
        .record(
          {
            answers: fc.oneof(
              fc.dictionary(fc.string({ maxLength: 20 }), answer, { maxKeys: 8 }),
              fc.constant({
                "recording-disclosed": "yes",
                "order-confirmed": "na",
                "no-personal-advice": "na",
                "best-execution": "no",
                clarity: 3,
                courtesy: 4,
              }),
            ),
            comments: fc.array(fc.record({ atSeconds: fc.double(), text: fc.string({ maxLength: 50 }) }), {
              maxLength: 3,
            }),
            flags: fc.array(fc.record({ kind: fc.constantFrom("coaching", "dispute", "compliance-breach", "x") }), {
              maxLength: 2,
            }),
            replaces: fc.integer({ min: -1, max: 3 }),
            summary: fc.string({ maxLength: 40 }),
          },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v));
      const body = fc.oneof(
        { weight: 3, arbitrary: submission },
        { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v) ?? "null") },
        { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
      );
      const q = (value: string) => encodeURIComponent(value);
      const attempt = fc
        .tuple(fc.nat(6), segment(), credential, body, queryValue(), queryValue())
        .map(([kind, id, credentialValue, payload, one, two]): Attempt => {
          const headers = withCredential(credentialValue, json);
          if (kind === 0) return { method: "GET", path: `/api/recordings/${id}/reviews`, headers };
          if (kind === 1) return { method: "POST", path: `/api/recordings/${id}/reviews`, headers, body: payload };
          if (kind === 2) return { method: "GET", path: `/api/reviews/${id}?version=${q(one)}`, headers };
          if (kind === 3) return { method: "POST", path: `/api/reviews/${id}/versions`, headers, body: payload };
          if (kind === 4) return { method: "GET", path: `/api/reviews/queue?team=${q(one)}&status=${q(two)}`, headers };
          if (kind === 5)
            return {
              method: "POST",
              path: `/api/reviews/queue/${id}/assign`,
              headers,
              body: JSON.stringify({ reviewer: one }),
            };
          return { method: "GET", path: `/api/reviews/report?from=${q(one)}&to=${q(two)}&format=csv`, headers };
        });
      // Each of the seven routes gets RUNS requests.
      await run(sample(attempt, RUNS * 7, 11), [200, 201, 400, 401, 403, 404, 409]);
    },
  );

  it(
    "POST /api/exports and GET /api/exports/:id: generated selections; a job for every 202 and no other",
    VOLUME,
    async () => {
      const exportQueue = h.runtime.queues.all().find((queue) => queue.name === QueueName.export)!;
      const jobsBefore = new Set((await exportQueue.getJobs()).map((job) => job.id));
      const creates = sample(
        fc
          .tuple(bodies(exportSeeds()), credential)
          .map(([body, c]) => ({ method: "POST", path: "/api/exports", headers: withCredential(c, json), body })),
        RUNS,
        7,
      );
      const answers = await run(creates, [202, 400, 401, 403, 404, 413]);
      const created = answers
        .filter((a) => a.status === 202)
        .map((a) => (JSON.parse(a.text) as { exportId: string }).exportId);
      expect(created.length).toBeGreaterThan(0);
      const jobs = (await exportQueue.getJobs()).map((job) => job.id).filter((id) => !jobsBefore.has(id));
      expect(jobs.sort()).toEqual([...created].sort());
      const statuses = sample(
        fc
          .tuple(fc.oneof(fc.constantFrom(...created), segment()), credential)
          .map(([id, c]) => ({ method: "GET", path: `/api/exports/${id}`, headers: withCredential(c) })),
        RUNS,
        8,
      );
      await run(statuses, [200, 401, 403, 404]);
    },
  );

  it(
    "POST /api/calls/:serverCallId/:operation: generated calls, operations and bodies; nothing queued",
    VOLUME,
    async () => {
      const control = h.runtime.queues.all().find((queue) => queue.name === QueueName.control)!;
      const before = await control.getJobCountByTypes("waiting", "delayed", "prioritized", "active");
      const operation = fc.oneof(
        fc.constantFrom("recording:pause", "recording:resume", "constructor", "__proto__", "toString", "pause"),
        fc.string({ maxLength: 12 }).map(encodeURIComponent),
      );
      const attempts = sample(
        fc
          .tuple(segment(), operation, bodies([{ reason: "card-capture" }, { reason: "x y" }]), credential)
          .map(([call, op, body, c]) => ({
            method: "POST",
            path: `/api/calls/${call}/${op}`,
            headers: withCredential(c, json),
            body,
          })),
        RUNS,
        9,
      );
      await run(attempts, [400, 401, 403, 404, 413]);
      expect(await control.getJobCountByTypes("waiting", "delayed", "prioritized", "active")).toBe(before);
    },
  );

  it("/admin: generated board requests and logins; no job is created or changed", VOLUME, async () => {
    const jobs = await h.jobCounts();
    const boardPath = fc.oneof(
      fc.constantFrom(
        "/api/queues",
        "/api/queues/control/add",
        "/api/queues/export/add",
        "/api/queues/control/pause",
        "/api/queues/pause",
        "/api/queues/control/retry/failed",
        "/api/queues/control/clean/completed",
        "/api/queues/control/empty",
        "/api/queues/control/obliterate",
        "/api/redis/stats",
        "",
        "/static/favicon-32x32.png",
      ),
      fc.tuple(segment(), segment()).map(([a, b]) => `/api/queues/${a}/${b}`),
      fc.tuple(segment(), segment()).map(([a, b]) => `/api/queues/${a}/${b}/update-data`),
    );
    const attempts = sample(
      fc
        .tuple(
          boardPath,
          fc.constantFrom("GET", "PUT", "POST", "PATCH", "DELETE"),
          credential,
          fc.constantFrom<string | undefined>(undefined, new URL(h.url).origin, "https://attacker.example", "null"),
          fc.jsonValue(),
        )
        .map(([path, method, c, origin, body]) => ({
          method,
          path: `/admin/queues${path}`,
          headers: withCredential(c, { ...json, ...(origin ? { origin } : {}) }),
          ...(method === "GET" ? {} : { body: JSON.stringify(body) ?? "null" }),
        })),
      RUNS,
      10,
    );
    await run(attempts, [200, 303, 400, 401, 403, 404, 405]);
    const logins = sample(
      fc
        .tuple(
          fc.oneof(
            fc.constantFrom(...Object.values(TOKENS)).map((token) => `token=${token}`),
            fc.string({ maxLength: 300 }),
          ),
          fc.constantFrom<string | undefined>(undefined, new URL(h.url).origin, "https://attacker.example"),
        )
        .map(([body, origin]) => ({
          method: "POST",
          path: "/admin/login",
          headers: { "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
          body,
        })),
      RUNS,
      11,
    );
    await run(logins, [303, 401, 403]);
    expect(await h.jobCounts()).toBe(jobs);
  });

  it("refuses oversized bodies (413) and deeply nested ones (400) on every route that reads a body", async () => {
    const oversized = (bytes: number) => JSON.stringify([{ padding: "x".repeat(bytes) }]);
    const deep = nested(5_000);
    const routes: [string, Record<string, string>, number][] = [
      [`/api/eventgrid?code=${h.eventGridSecret}`, json, 262_144],
      ["/api/callbacks", { ...json, authorization: callbackAuthorization }, 262_144],
      ["/api/exports", { ...json, authorization: authorization(TOKENS.auditor) }, 64 * 1024],
      [`/api/calls/c/recording:pause`, { ...json, authorization: authorization(TOKENS.desk) }, 16 * 1024],
      ["/admin/login", { "content-type": "application/x-www-form-urlencoded", origin: new URL(h.url).origin }, 4096],
    ];
    for (const [path, headers, limit] of routes) {
      const big = await http.send({ method: "POST", path, headers, body: oversized(limit) });
      expect({ path, status: big.status }).toEqual({ path, status: 413 });
      if (path === "/admin/login") continue;
      const nestedAnswer = await http.send({ method: "POST", path, headers, body: deep });
      expect({ path, status: nestedAnswer.status }).toEqual({ path, status: 400 });
      expect(nestedAnswer.text).toMatch(/nested deeper than/);
    }
  });

  it("answers every tampered cursor 400 and every tampered ticket 401: never data", async () => {
    const flips = (text: string) =>
      Array.from(text, (char, i) => {
        const other = char === "A" ? "B" : "A";
        return text.slice(0, i) + other + text.slice(i + 1);
      }).filter((variant) => variant !== text);
    const list = (c: string) => ({
      method: "GET",
      path: `/api/recordings?limit=1&cursor=${encodeURIComponent(c)}`,
      headers: { authorization: authorization(TOKENS.desk) },
    });
    const cursors = [...flips(cursor), cursor.slice(1), `${cursor}A`, cursor.slice(0, -1), ""].filter(Boolean);
    const cursorAnswers = await http.all(cursors.map(list));
    expect(tally(cursorAnswers)).toEqual({ 400: cursors.length });
    expect((await http.send(list(cursor))).status).toBe(200);

    const ticketUrl = await freshTicketUrl();
    const ticket = new URL(ticketUrl, "http://x").searchParams.get("ticket")!;
    const base = ticketUrl.slice(0, ticketUrl.indexOf("ticket="));
    const tickets = [...flips(ticket), ticket.slice(1), `${ticket}A`, ticket.replace(".", "..")];
    const ticketAnswers = await http.all(
      tickets.map((t) => ({ method: "GET", path: `${base}ticket=${encodeURIComponent(t)}` })),
    );
    expect(tally(ticketAnswers)).toEqual({ 401: tickets.length });
    expect((await http.send({ method: "GET", path: ticketUrl })).status).toBe(200);
  });

  it("audited only what a credential was shown for", async () => {
    const entries = (await h.runtime.redis.xrange(`${h.prefix}:audit`, "-", "+")).map(
      ([, fields]) => JSON.parse(fields[1]!) as { actor: string; role: string },
    );
    expect(entries.length).toBeGreaterThan(0);
    const names = new Set(["desk-reviewer", "legal-reviewer", "auditor", "ops"]);
    expect(entries.filter((e) => !names.has(e.actor) || e.role === "none")).toEqual([]);
  });
});

/** Every delivery in the intake outbox was answered 200: nothing refused was stored. */
async function expectStoredOnlyIfAccepted(attempts: Attempt[], answers: Answer[], channel: string) {
  const accepted = new Set(attempts.filter((_, i) => answers[i]!.status === 200).map((a) => String(a.body)));
  const refused = new Set(attempts.filter((_, i) => answers[i]!.status !== 200).map((a) => String(a.body)));
  const entries = await h.runtime.redis.xrange(outboxKeys(h.prefix).stream, "-", "+");
  const stored = entries
    .map(([, fields]) =>
      Object.fromEntries(Array.from({ length: fields.length / 2 }, (_, i) => [fields[2 * i], fields[2 * i + 1]])),
    )
    .filter((entry) => entry.channel === channel)
    .map((entry) => entry.body!);
  expect(stored.length).toBeGreaterThan(0);
  expect(stored.filter((body) => !accepted.has(body))).toEqual([]);
  // The same text is never both taken and refused (parsing is deterministic), so nothing refused was stored.
  expect([...refused].filter((body) => accepted.has(body))).toEqual([]);
}
