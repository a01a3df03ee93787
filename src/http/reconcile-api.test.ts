import type { Server } from "node:http";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listen } from "../../test/support/http.js";
import type { AuditEntry } from "../audit/log.js";
import { sha256Hex, tokenStore } from "../auth/tokens.js";
import type { ReconciledCall, StoredReconciliation } from "../reconcile/index.js";
import { reconcileRoutes } from "./reconcile-api.js";

const call = (correlationId: string, status: ReconciledCall["status"], teams: string[]): ReconciledCall => ({
  correlationId,
  status,
  teams,
  serverCallIds: [],
  detail: status,
  recordings: [],
});
const counts = (never: number, incomplete: number) => ({
  verified: 3,
  exempt: 0,
  enforced: 0,
  incomplete,
  "never-seen": never,
});
const stored: StoredReconciliation = {
  window: { from: "2026-12-03T10:00:00.000Z", to: "2026-12-04T10:00:00.000Z" },
  finishedAt: "2026-12-04T11:00:00.000Z",
  counts: { verified: 6, exempt: 0, enforced: 0, incomplete: 1, "never-seen": 2 },
  countsByTeam: { desk: counts(1, 1), legal: counts(2, 0) },
  problems: [],
  calls: [
    call("c-desk", "incomplete", ["desk"]),
    call("c-both", "never-seen", ["desk", "legal"]),
    call("c-legal", "never-seen", ["legal"]),
  ],
  callsLeftOut: 0,
};

let latest: StoredReconciliation | undefined = stored;
const audit: AuditEntry[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = (error as { status?: number }).status ?? 500;
      ctx.body = { error: (error as Error).message };
    }
  });
  const routes = reconcileRoutes({
    tokens: tokenStore([
      { name: "auditor", role: "auditor", sha256: sha256Hex("audit") },
      { name: "desk-reviewer", role: "team", team: "desk", sha256: sha256Hex("desk") },
      { name: "ops", role: "admin", sha256: sha256Hex("ops") },
    ]),
    audit: { append: async (entry) => void audit.push(entry), recent: async () => [] },
    reports: { latest: async () => latest },
  } as Parameters<typeof reconcileRoutes>[0]);
  app.use(routes.routes());
  ({ server, base } = await listen(app));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = async (path: string, token?: string) => {
  const response = await fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("GET /api/reconciliation", () => {
  it("gives auditors every team's calls and counts, and is audited", async () => {
    const { status, body } = await get("/api/reconciliation", "audit");
    expect(status).toBe(200);
    expect((body.calls as ReconciledCall[]).map((c) => c.correlationId)).toEqual(["c-desk", "c-both", "c-legal"]);
    expect(audit.at(-1)).toMatchObject({ actor: "auditor", action: "reconciliation:read", outcome: "accepted" });
  });

  it("gives a team token its own team's calls and counts only, naming no other team", async () => {
    const { status, body } = await get("/api/reconciliation", "desk");
    expect(status).toBe(200);
    expect((body.calls as ReconciledCall[]).map((c) => [c.correlationId, c.teams])).toEqual([
      ["c-desk", ["desk"]],
      ["c-both", ["desk"]],
    ]);
    expect(body.counts).toEqual(counts(1, 1));
    expect(Object.keys(body.countsByTeam as object)).toEqual(["desk"]);
  });

  it.each([
    ["another team's, for a team token", "/api/reconciliation?team=legal", "desk", 404],
    ["anything, for an admin token", "/api/reconciliation", "ops", 403],
    ["anything, without a token", "/api/reconciliation", undefined, 401],
    ["an unknown parameter", "/api/reconciliation?since=1h", "audit", 400],
  ])("refuses %s", async (_name, path, token, expected) => {
    expect((await get(path, token)).status).toBe(expected);
  });

  it("answers 404 before any run", async () => {
    latest = undefined;
    try {
      const { status, body } = await get("/api/reconciliation", "audit");
      expect(status).toBe(404);
      expect(body.error).toMatch(/no reconciliation has run yet/);
    } finally {
      latest = stored;
    }
  });
});
