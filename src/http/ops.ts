import type { Server } from "node:http";
import Router from "@koa/router";
import Koa from "koa";
import { metrics } from "../metrics.js";

/**
 * A readiness check passes (resolves to nothing), fails (throws: the process is not ready), or is degraded
 * (resolves to `{ degraded }`: still ready, but something an operator must fix, e.g. refused policy files).
 */
export type ReadinessCheck = () => Promise<void | { degraded: string }>;

export interface OpsDependencies {
  /** Named readiness checks (Redis, Blob, policies, …). */
  readiness: Record<string, ReadinessCheck>;
  /** Facts beside the checks (the policy set in force, workers alive). */
  info?: (() => Promise<Record<string, unknown>> | Record<string, unknown>) | undefined;
}

/**
 * Runs the readiness checks: ready when none fails; each failing one says why, each degraded one says
 * `degraded: <why>` (ready all the same).
 */
export async function readiness(deps: OpsDependencies) {
  const results = await Promise.all(
    Object.entries(deps.readiness).map(async ([name, check]) => {
      try {
        const result = await check();
        return [name, result ? `degraded: ${result.degraded}` : "ok", true] as const;
      } catch (error) {
        return [name, (error as Error).message, false] as const;
      }
    }),
  );
  return {
    ready: results.every(([, , passed]) => passed),
    checks: Object.fromEntries(results.map(([name, status]) => [name, status])),
  };
}

/** The detailed readiness answer: the checks, and the facts (policy hashes, worker ids) when there are any. */
export async function detailedReadiness(deps: OpsDependencies) {
  const result = await readiness(deps);
  return { ...result, ...(deps.info ? { info: await deps.info() } : {}) };
}

export async function serveMetrics(ctx: Koa.Context): Promise<void> {
  ctx.type = metrics.contentType;
  ctx.body = await metrics.metrics();
}

/**
 * The internal operations server (OPS_PORT): the detailed `/readyz` (checks, policy set hashes, workers alive)
 * and `/metrics`, without authentication — for probes and Prometheus inside the cluster, never behind the
 * ingress. The public port answers only a minimal `/readyz` to anyone (src/http/app.ts).
 */
export function createOpsApp(deps: OpsDependencies): Koa {
  const app = new Koa();
  const router = new Router();
  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async (ctx) => {
    const body = await detailedReadiness(deps);
    ctx.status = body.ready ? 200 : 503;
    ctx.body = body;
  });
  router.get("/metrics", serveMetrics);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

export async function listenOps(app: Koa, port: number, host: string): Promise<{ server: Server; url: string }> {
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const address = server.address();
  return { server, url: `http://${host}:${typeof address === "object" && address ? address.port : port}` };
}
