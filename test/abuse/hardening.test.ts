// Issue 15's findings, each as the attack that found it, against the webhook as production builds it
// (docs/security.md links here). Exports and the export worker: exports.test.ts; volume: abuse.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecordingIndex } from "../../src/retrieval/index-store.js";
import type { IndexedRecording } from "../../src/retrieval/summary.js";
import { startHarness, TOKENS, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ AUDIT_STREAM_MAXLEN: "100", RATE_LIMIT_PER_ADDRESS: "0", RATE_LIMIT_PER_TOKEN: "0" });
});
afterAll(async () => {
  await h?.stop();
});

const drain = async (response: Response) => {
  await response.arrayBuffer();
  return response.status;
};
/** Sends `count` requests, 20 at a time; how many got each status. */
const statuses = async (count: number, request: (i: number) => Promise<Response>) => {
  const seen = new Map<number, number>();
  for (let start = 0; start < count; start += 20) {
    const batch = Array.from({ length: Math.min(20, count - start) }, (_, j) => request(start + j).then(drain));
    for (const status of await Promise.all(batch)) seen.set(status, (seen.get(status) ?? 0) + 1);
  }
  return Object.fromEntries(seen);
};
/** Metrics as Prometheus scrapes them: the ops port (or, with an app that has none, the public port). */
const scrape = async () =>
  (await fetch(`${h.opsUrl ?? h.url}/metrics`, { headers: { authorization: `Bearer ${TOKENS.admin}` } })).text();
const sample = (text: string, series: RegExp) =>
  text
    .split("\n")
    .filter((line) => series.test(line))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);

describe("finding 1: anonymous requests cannot fill Redis", () => {
  it("200 anonymous requests with 6 KB ids: 401, no audit entry, counted in metrics, Redis barely grows", async () => {
    const longId = "x".repeat(6 * 1024);
    const before = { audit: await h.auditCounts(), bytes: await h.redisBytes(), metrics: await scrape() };
    const series = /^intake_deliveries_refused_total\{path="\/api\/recordings\/:recordingId",status="401"/;
    const seen = await statuses(200, (i) =>
      h.fetch(`/api/recordings/${longId}${i}`, i % 2 ? { token: `forged-${longId}` } : {}),
    );
    expect(seen).toEqual({ 401: 200 });
    expect(await h.auditCounts()).toEqual(before.audit);
    expect((await h.redisBytes()) - before.bytes).toBeLessThan(16 * 1024);
    expect(sample(await scrape(), series) - sample(before.metrics, series)).toBe(200);
  });

  it("cuts long fields of audited requests, and caps the Redis stream while Blob keeps every entry", async () => {
    const longId = "y".repeat(6 * 1024);
    const before = await h.auditCounts();
    const seen = await statuses(300, (i) => h.fetch(`/api/recordings/${longId}${i}`, { token: TOKENS.desk }));
    expect(seen).toEqual({ 404: 300 });
    const after = await h.auditCounts();
    expect(after.blob - before.blob).toBe(300);
    // AUDIT_STREAM_MAXLEN=100: approximate trimming keeps at most one stream node (100 entries) more.
    expect(after.stream).toBeLessThanOrEqual(200);
    const [, fields] = (await h.runtime.redis.xrevrange(`${h.prefix}:audit`, "+", "-", "COUNT", 1))[0]!;
    const entry = JSON.parse(fields[1]!) as { recordingId: string; outcome: string };
    expect(entry.outcome).toBe("refused 404: no such recording");
    expect(entry.recordingId.length).toBeLessThanOrEqual(512);
    expect(await h.runtime.redis.memory("USAGE", `${h.prefix}:audit`)).toBeLessThan(256 * 1024);
  });
});

describe("finding 2: the admin board", () => {
  const board = "/admin/queues/api/queues";
  const basic = (token: string) => `Basic ${Buffer.from(`anyone:${token}`).toString("base64")}`;
  const ourOrigin = () => new URL(h.url).origin;

  it("takes no HTTP Basic credentials (a browser resends them to cross-site requests by itself)", async () => {
    const response = await h.fetch(board, { headers: { authorization: basic(TOKENS.admin) } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate") ?? "").not.toMatch(/basic/i);
    expect(await drain(await h.fetch(board, { token: TOKENS.admin }))).toBe(200);
  });

  it("creates no job, even for an admin from our own origin; a cross-site post is refused outright", async () => {
    const jobs = await h.jobCounts();
    const forged = JSON.stringify({
      name: "export-recordings",
      data: { requestedBy: { name: "auditor", role: "auditor" }, target: { container: "attacker", folder: "x" } },
    });
    const add = (origin: string) =>
      h.fetch(`${board}/export/add`, {
        method: "POST",
        token: TOKENS.admin,
        headers: { origin, "content-type": "application/json" },
        body: forged,
      });
    expect(await drain(await add("https://attacker.example"))).toBe(403);
    expect([403, 405]).toContain(await drain(await add(ourOrigin())));
    expect(await h.jobCounts()).toBe(jobs);
  });

  it("is read-only by default: no pause, retry or clean", async () => {
    for (const path of [`${board}/control/pause`, `${board}/control/retry/failed`, `${board}/control/clean/failed`])
      expect(
        await drain(await h.fetch(path, { method: "PUT", token: TOKENS.admin, headers: { origin: ourOrigin() } })),
      ).toBe(405);
    expect(await h.runtime.queues.all()[0]!.isPaused()).toBe(false);
  });

  it("logs a browser in with an admin token: a SameSite=Strict, HttpOnly session that only our origin can use", async () => {
    const login = (token: string, origin = ourOrigin()) =>
      h.fetch("/admin/login", {
        method: "POST",
        redirect: "manual",
        headers: { origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }).toString(),
      });
    expect((await login(TOKENS.desk)).headers.get("set-cookie")).toBeNull();
    expect(await drain(await login(TOKENS.admin, "https://attacker.example"))).toBe(403);
    const response = await login(TOKENS.admin);
    expect(response.status).toBe(303);
    const cookie = response.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=strict/i);
    expect(cookie).toMatch(/path=\/admin/i);
    const session = cookie.split(";")[0]!;
    expect(await drain(await h.fetch(board, { headers: { cookie: session } }))).toBe(200);
    expect(
      await drain(await h.fetch(board, { headers: { cookie: session, origin: "https://attacker.example" } })),
    ).toBe(403);
    const state = await h.fetch(`${board}/control/pause`, { method: "PUT", headers: { cookie: session } });
    expect(await drain(state)).toBe(403); // state-changing, cookie-borne, no Origin: refused
    expect(await drain(await h.fetch(board, { headers: { cookie: `${session}x` } }))).toBe(401);
  });
});

describe("finding 5: listing cursors", () => {
  const participant = "4:+447700900555";
  let deskCursor: string;

  beforeAll(async () => {
    await h.seedRecording("trading-desk", { participant, startedAt: "2026-01-01T00:00:00.000Z" });
    // More of another team's recordings with the same participant than one page scans, all newer.
    const index = createRecordingIndex(h.runtime.redis, h.prefix);
    const base = Date.parse("2026-06-01T00:00:00.000Z");
    await Promise.all(
      Array.from({ length: 2_100 }, (_, n) =>
        index.put({
          ...summaryOf("legal", `legal-secret-${n}`, new Date(base + n * 1000).toISOString()),
          participants: [participant],
        }),
      ),
    );
  });

  const list = (token: string, query: string) => h.fetch(`/api/recordings?${query}`, { token });

  it("hands out cursors that show nothing of what they point at", async () => {
    const page = (await (await list(TOKENS.desk, `participant=${encodeURIComponent(participant)}`)).json()) as {
      items: unknown[];
      nextCursor: string | null;
    };
    expect(page.nextCursor).toEqual(expect.any(String));
    deskCursor = page.nextCursor!;
    const decoded = Buffer.from(deskCursor, "base64url").toString("latin1");
    expect(decoded).not.toContain("legal");
    expect(decoded).not.toMatch(/17[0-9]{11}/); // no start time in ms
  });

  it("answers 400 (never data) to a tampered cursor, another team's, or a forged one", async () => {
    const query = (cursor: string) =>
      `participant=${encodeURIComponent(participant)}&cursor=${encodeURIComponent(cursor)}`;
    const tampered = `${deskCursor.slice(0, 10)}${deskCursor[10] === "A" ? "B" : "A"}${deskCursor.slice(11)}`;
    const forged = Buffer.from(JSON.stringify({ s: Date.parse("2026-12-01"), r: "legal-secret-1" })).toString(
      "base64url",
    );
    expect(await drain(await list(TOKENS.desk, query(tampered)))).toBe(400);
    expect(await drain(await list(TOKENS.legal, query(deskCursor)))).toBe(400);
    expect(await drain(await list(TOKENS.auditor, query(deskCursor)))).toBe(400);
    expect(await drain(await list(TOKENS.desk, query(forged)))).toBe(400);
    // The cursor still works for the caller it was given to.
    expect(await drain(await list(TOKENS.desk, query(deskCursor)))).toBe(200);
  });
});

describe("finding 9: health pages and client addresses", () => {
  it("answers anyone a minimal /readyz and no /metrics on the public port; the detail to admins and the ops port", async () => {
    const ready = await h.fetch("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    expect(await drain(await h.fetch("/metrics"))).toBe(401);
    expect(await drain(await h.fetch("/metrics", { token: TOKENS.auditor }))).toBe(403);
    const detailed = (await (await h.fetch("/readyz", { token: TOKENS.admin })).json()) as { info?: unknown };
    expect(detailed.info).toMatchObject({ policies: { hash: expect.any(String) } });
    expect(h.opsUrl).toBeDefined();
    const internal = (await (await fetch(`${h.opsUrl}/readyz`)).json()) as { info?: unknown };
    expect(internal.info).toMatchObject({ workers: expect.anything() });
    expect(await (await fetch(`${h.opsUrl}/metrics`)).text()).toContain("intake_events_total");
  });

  it("audits the socket's address, not a client-written X-Forwarded-For, unless TRUST_PROXY says so", async () => {
    const recording = await h.seedRecording("trading-desk");
    const fromOf = async (harness: Harness) => {
      await drain(
        await harness.fetch(`/api/recordings/${encodeURIComponent(recording.recordingId)}`, {
          token: TOKENS.desk,
          headers: { "x-forwarded-for": "203.0.113.9, 198.51.100.7" },
        }),
      );
      const [, fields] = (await harness.runtime.redis.xrevrange(`${harness.prefix}:audit`, "+", "-", "COUNT", 1))[0]!;
      return (JSON.parse(fields[1]!) as { from: string }).from;
    };
    expect(await fromOf(h)).toMatch(/127\.0\.0\.1/);
    const proxied = await startHarness({ TRUST_PROXY: "1" });
    try {
      await createRecordingIndex(proxied.runtime.redis, proxied.prefix).put(recording);
      // One proxy: the address it appended (the last), not the one the client wrote before it.
      expect(await fromOf(proxied)).toBe("198.51.100.7");
    } finally {
      await proxied.stop();
    }
  });
});

function summaryOf(team: string, recordingId: string, startedAt: string): IndexedRecording {
  return {
    recordingId,
    serverCallId: `call-${recordingId}`,
    team,
    startedAt,
    durationSeconds: 1,
    participants: [],
    outcome: "required",
    ruleId: "r",
    chunkCount: 0,
    totalBytes: 0,
    channelType: "mixed",
    format: "wav",
    manifestBlob: `${team}/none/manifest.json`,
    manifestSha256: "0".repeat(64),
  };
}
