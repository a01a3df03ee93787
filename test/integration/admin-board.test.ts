// bull-board at /admin/queues: only admin tokens get in (Bearer, or Basic as a browser sends it), and both its
// page and its JSON API answer behind the guard.
import { QueueName } from "../../src/queues/index.js";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { deleteKeysMatching } from "../../scripts/lib/services.js";
import { sha256Hex, tokenStore } from "../../src/auth/tokens.js";
import { ACS_RECORDING_HOST_SUFFIXES } from "../../src/config/index.js";
import { ADMIN_QUEUES_PATH, queuesBoard, requireAdmin } from "../../src/http/admin.js";
import { createApp } from "../../src/http/app.js";
import { sinkResult } from "../../src/intake/sink.js";
import { createLogger } from "../../src/log.js";
import { createQueues, type Queues } from "../../src/queues/index.js";
import { listen } from "../support/http.js";

const prefix = `${inject("runId")}:admin-${randomBytes(4).toString("hex")}`;
let redis: Redis;
let queues: Queues;
let server: Server;
let base: string;

const tokens = tokenStore([
  { name: "ops", role: "admin", sha256: sha256Hex("admin-token") },
  { name: "desk", role: "team", team: "trading-desk", sha256: sha256Hex("team-token") },
  { name: "audit", role: "auditor", sha256: sha256Hex("audit-token") },
]);

beforeAll(async () => {
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  queues = createQueues(redis, prefix);
  const app = createApp({
    logger: createLogger("silent", "test"),
    sink: { accept: async (_channel, { events }) => sinkResult(events.map(() => true)) },
    callbackVerifier: { verify: async () => undefined },
    eventGridSecrets: ["s"],
    recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
    maxBodyBytes: 1024,
    readiness: {},
    admin: {
      base: ADMIN_QUEUES_PATH,
      guard: requireAdmin(tokens, ADMIN_QUEUES_PATH),
      board: queuesBoard(queues.all(), ADMIN_QUEUES_PATH),
    },
  });
  ({ server, base } = await listen(app));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await queues?.close();
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis?.disconnect();
});

const get = (path: string, authorization?: string) =>
  fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });
const basic = (token: string) => `Basic ${Buffer.from(`anyone:${token}`).toString("base64")}`;

describe("bull-board at /admin/queues", () => {
  it.each([
    ["the page", "/admin/queues"],
    ["its API", "/admin/queues/api/queues"],
    ["its static files", "/admin/queues/static/favicon-32x32.png"],
  ])("asks for credentials without a token (%s): 401 with a Basic challenge", async (_what, path) => {
    const response = await get(path);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    expect(await response.text()).not.toMatch(/bull/i);
  });

  it.each([
    ["a wrong token", "Bearer nope", 401],
    ["a team token", "Bearer team-token", 403],
    ["an auditor token", "Bearer audit-token", 403],
    ["a team token as Basic", basic("team-token"), 403],
  ])("refuses %s", async (_what, authorization, status) => {
    expect((await get("/admin/queues", authorization)).status).toBe(status);
    expect((await get("/admin/queues/api/queues", authorization)).status).toBe(status);
  });

  it.each([
    ["Bearer", "Bearer admin-token"],
    ["Basic (a browser)", basic("admin-token")],
  ])("serves the board to an admin token (%s): page and API", async (_how, authorization) => {
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

    await queues.enqueue("sweep-gaps", {}, undefined, { delayMs: 60_000 });
    const api = await get("/admin/queues/api/queues?activeQueue=control&status=delayed&page=1", authorization);
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(Object.values(QueueName).sort());
    expect(body.queues.find((q) => q.name === "control")?.counts.delayed).toBeGreaterThanOrEqual(1);
  });

  it("leaves the other routes to their own authentication", async () => {
    expect((await get("/healthz")).status).toBe(200);
    expect((await get("/admin/queuesX")).status).toBe(404);
  });
});
