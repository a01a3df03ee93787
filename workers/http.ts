import type { Server } from "node:http";
import Router from "@koa/router";
import Koa from "koa";
import { metrics } from "../src/metrics.js";
import { HEARTBEAT_TTL_MS, type Heartbeat } from "../src/observability/index.js";
import { policyReadiness, type PolicyStatus } from "../src/policy/index.js";
import { rolesLabel, type WorkerRole } from "../src/queues/index.js";

/**
 * The worker process's own small HTTP server (WORKER_HTTP_PORT): `/healthz` for liveness (with its roles),
 * `/readyz` (Redis answers and this worker's heartbeat is fresh; policies `degraded`, still ready, while a change
 * on disk is refused; `workers` degraded while no worker alive serves some role), `/metrics` (this process's
 * counters: jobs, ingest, enforcement, `worker_role`).
 */
export function createWorkerHttp(deps: {
  ping: () => Promise<unknown>;
  heartbeat: Heartbeat;
  policies?: () => PolicyStatus;
  /** This process's roles (WORKER_ROLE): said by /healthz and /readyz. */
  roles?: readonly WorkerRole[];
  /** Whether every role is served by some worker alive (src/observability rolesReadiness). */
  deployment?: () => Promise<{ degraded: string } | undefined>;
}): Koa {
  const app = new Koa();
  const router = new Router();
  const role = deps.roles ? { role: rolesLabel(deps.roles) } : {};
  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok", ...role };
  });
  router.get("/readyz", async (ctx) => {
    const checks: Record<string, string> = {};
    try {
      await deps.ping();
      checks.redis = "ok";
    } catch (error) {
      checks.redis = (error as Error).message;
    }
    const last = deps.heartbeat.lastBeatAt();
    checks.heartbeat =
      last !== undefined && Date.now() - last < HEARTBEAT_TTL_MS ? "ok" : "no heartbeat written recently";
    const ready = Object.values(checks).every((status) => status === "ok");
    if (deps.policies) {
      const degraded = policyReadiness(deps.policies());
      checks.policies = degraded ? `degraded: ${degraded.degraded}` : "ok";
    }
    // Another role having no worker makes this one no less ready: said, not failed.
    if (deps.deployment && checks.redis === "ok") {
      const degraded = await deps.deployment().catch((error: unknown) => ({ degraded: (error as Error).message }));
      checks.workers = degraded ? `degraded: ${degraded.degraded}` : "ok";
    }
    ctx.status = ready ? 200 : 503;
    ctx.body = { ready, ...role, checks };
  });
  router.get("/metrics", async (ctx) => {
    ctx.type = metrics.contentType;
    ctx.body = await metrics.metrics();
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export async function listenWorkerHttp(app: Koa, port: number, host: string): Promise<Server> {
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return server;
}
