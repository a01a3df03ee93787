// bull-board at /admin/queues: only admins get in (Bearer, or the session cookie a login sets; never HTTP Basic),
// only from our own origin; read-only unless ADMIN_BOARD_MODE=operate, and even then it creates, edits and removes
// nothing. Both its page and its JSON API answer behind the guard. Attacks on the production wiring:
// test/abuse/hardening.test.ts.
import { QueueName } from "../../src/queues/index.js";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { sha256Hex, tokenStore } from "../../src/auth/tokens.js";
import { ACS_RECORDING_HOST_SUFFIXES } from "../../src/config/index.js";
import { adminGuard, adminSessions, queuesBoard, type BoardMode } from "../../src/http/admin.js";
import { createApp } from "../../src/http/app.js";
import { sinkResult } from "../../src/intake/sink.js";
import { createLogger } from "../../src/log.js";
import { createQueues, sweepGaps, type Queues } from "../../src/queues/index.js";
import { listen } from "../support/http.js";

const prefix = `${inject("runId")}:admin-${randomBytes(4).toString("hex")}`;
let redis: Redis;
let queues: Queues;
const servers: Record<BoardMode, { server: Server; base: string }> = {} as never;

const tokens = tokenStore([
  { name: "ops", role: "admin", sha256: sha256Hex("admin-token") },
  { name: "desk", role: "team", team: "trading-desk", sha256: sha256Hex("team-token") },
  { name: "audit", role: "auditor", sha256: sha256Hex("audit-token") },
]);

beforeAll(async () => {
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  queues = createQueues(redis, prefix);
  for (const mode of ["read-only", "operate"] as const) {
    const logger = createLogger("silent", "test");
    const app = createApp({
      logger,
      sink: { accept: async (_channel, { events }) => sinkResult(events.map(() => true)) },
      callbackVerifier: { verify: async () => undefined },
      eventGridSecrets: ["s"],
      recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
      maxBodyBytes: 1024,
      readiness: {},
      admin: {
        guard: adminGuard({ tokens, sessions: adminSessions("s".repeat(32), 3600), mode, logger }),
        board: queuesBoard(queues.all(), mode),
      },
    });
    servers[mode] = await listen(app);
  }
});
afterAll(async () => {
  for (const { server } of Object.values(servers)) await new Promise<void>((resolve) => server?.close(() => resolve()));
  await queues?.close();
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis?.disconnect();
});

const call = (mode: BoardMode, path: string, init: RequestInit & { authorization?: string } = {}) => {
  const { authorization, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (authorization) headers.set("authorization", authorization);
  return fetch(`${servers[mode].base}${path}`, { redirect: "manual", ...rest, headers });
};
const get = (path: string, authorization?: string) => call("read-only", path, authorization ? { authorization } : {});
const basic = (token: string) => `Basic ${Buffer.from(`anyone:${token}`).toString("base64")}`;

describe("bull-board at /admin/queues", () => {
  it.each([
    ["the page", "/admin/queues"],
    ["its API", "/admin/queues/api/queues"],
    ["its static files", "/admin/queues/static/favicon-32x32.png"],
  ])("answers nobody without credentials (%s): 401, no Basic challenge, nothing of the board", async (_what, path) => {
    const response = await get(path);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBeNull();
    expect(await response.text()).not.toMatch(/bull/i);
  });

  it("sends a browser asking for the page to the login", async () => {
    const response = await call("read-only", "/admin/queues", { headers: { accept: "text/html" } });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/admin/login");
    const login = await get("/admin/login");
    expect(login.headers.get("content-security-policy")).toContain("form-action 'self'");
    expect(await login.text()).toContain('name="token"');
  });

  it.each([
    ["a wrong token", "Bearer nope", 401],
    ["a team token", "Bearer team-token", 403],
    ["an auditor token", "Bearer audit-token", 403],
    ["an admin token as Basic", basic("admin-token"), 401],
  ])("refuses %s", async (_what, authorization, status) => {
    expect((await get("/admin/queues", authorization)).status).toBe(status);
    expect((await get("/admin/queues/api/queues", authorization)).status).toBe(status);
  });

  it("serves the board to an admin token: page, assets and API", async () => {
    const authorization = "Bearer admin-token";
    const page = await get("/admin/queues", authorization);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toMatch(/<base href="\/admin\/queues\/?"/);
    const script = /src="(static\/js\/main\.[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await get(`/admin/queues/${script}`, authorization);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);

    await queues.enqueue(sweepGaps, {}, { delayMs: 60_000 });
    const api = await get(
      `/admin/queues/api/queues?activeQueue=${sweepGaps.queue}&status=delayed&page=1`,
      authorization,
    );
    expect(api.status).toBe(200);
    const body = (await api.json()) as {
      queues: { name: string; readOnlyMode: boolean; counts: Record<string, number> }[];
    };
    expect(body.queues.map((q) => q.name).sort()).toEqual(Object.values(QueueName).sort());
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
    expect(body.queues.find((q) => q.name === sweepGaps.queue)?.counts.delayed).toBeGreaterThanOrEqual(1);
  });

  it("leaves the other routes to their own authentication", async () => {
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/admin/queuesX")).status).toBe(404);
  });
});

describe("ADMIN_BOARD_MODE=operate", () => {
  const put = (path: string, origin?: string) =>
    call("operate", `/admin/queues/api/queues${path}`, {
      method: "PUT",
      authorization: "Bearer admin-token",
      ...(origin ? { headers: { origin } } : {}),
    });

  it("pauses and resumes a queue, retries and promotes", async () => {
    const control = queues.all().find((q) => q.name === QueueName.control)!;
    expect((await put("/control/pause")).status).toBe(200);
    expect(await control.isPaused()).toBe(true);
    expect((await put("/control/resume")).status).toBe(200);
    expect(await control.isPaused()).toBe(false);
    expect((await put("/control/retry/failed")).status).toBe(200);
    expect((await put("/control/promote")).status).toBe(200);
  });

  it("creates, edits and removes nothing, and takes nothing from another origin", async () => {
    const jobs = async () =>
      (await Promise.all(queues.all().map((q) => q.getJobCounts()))).reduce(
        (sum, counts) => sum + Object.values(counts).reduce((a, b) => a + b, 0),
        0,
      );
    const before = await jobs();
    const job = (await queues.all()[0]!.getJobs(["delayed", "waiting"], 0, 0))[0];
    const refused = await Promise.all([
      call("operate", "/admin/queues/api/queues/export/add", {
        method: "POST",
        authorization: "Bearer admin-token",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "export-recordings", data: {} }),
      }),
      call("operate", `/admin/queues/api/queues/control/${job?.id ?? "x"}/update-data`, {
        method: "PATCH",
        authorization: "Bearer admin-token",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jobData: { serverCallId: "other" } }),
      }),
      put("/control/clean/delayed"),
      put("/control/empty"),
      put("/control/obliterate"),
      put(`/control/${job?.id ?? "x"}/clean`),
      put("/control/pause", "https://attacker.example"),
    ]);
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403, 403]);
    expect(await jobs()).toBe(before);
    expect(
      await queues
        .all()
        .find((q) => q.name === QueueName.control)!
        .isPaused(),
    ).toBe(false);
  });
});
