import Router from "@koa/router";
import Koa from "koa";
import type { Logger } from "../log.js";
import {
  type BearerVerifier,
  type CallbackVerifier,
  readBody,
  parseJson,
  IntakeError,
  eventTypeLabel,
  parseDelivery,
  type EventSink,
} from "../intake/index.js";
import { decide, type TokenStore } from "../auth/index.js";
import { deliveriesRefused } from "../metrics.js";
import { intakeRoute } from "./api-access.js";
import { auditRoutes, type AuditApiDependencies } from "./audit-api.js";
import { callsRoutes, type CallsApiDependencies } from "./calls-api.js";
import { eventGridIntake, logDelivery } from "./eventgrid.js";
import { exportsRoutes, type ExportsApiDependencies } from "./exports-api.js";
import { detailedReadiness, readiness, serveMetrics, type ReadinessCheck } from "./ops.js";
import { createRateLimiter, rateLimit, type RateLimits } from "./rate-limit.js";
import { reconcileRoutes, type ReconcileApiDependencies } from "./reconcile-api.js";
import { recordingsRoutes, type RecordingsApiDependencies } from "./recordings-api.js";
import { reviewsRoutes, type ReviewsApiDependencies } from "./reviews-api.js";
import { qaWebRoutes } from "../qa-web/index.js";

export interface AppDependencies {
  logger: Logger;
  sink: EventSink;
  callbackVerifier: CallbackVerifier;
  eventGridSecrets: readonly string[];
  /** When set, a valid Entra bearer token also authenticates an Event Grid delivery. */
  eventGridEntra?: BearerVerifier | undefined;
  recordingHostSuffixes: readonly string[];
  maxBodyBytes: number;
  /** Named readiness checks for /readyz (Redis, Blob, policies, …). */
  readiness: Record<string, ReadinessCheck>;
  /** The calls API (PCI pause/resume); not mounted without it. */
  calls?: CallsApiDependencies | undefined;
  /** QA retrieval: recordings, exports and the audit log (docs/recordings-api.md); not mounted without it. */
  retrieval?:
    | {
        recordings: RecordingsApiDependencies;
        exports: ExportsApiDependencies;
        audit: AuditApiDependencies;
        /** The last reconciliation against ACS's call logs (docs/reconciliation.md "API"). */
        reconciliation?: ReconcileApiDependencies | undefined;
        /** QA reviews: scorecards, reviews, the queue and reports (docs/reviews.md). */
        reviews?: ReviewsApiDependencies | undefined;
      }
    | undefined;
  /** Facts the detailed /readyz reports beside the checks (the policy set hash in force, workers alive). */
  info?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Operations pages (bull-board), behind admin tokens; not mounted without it (src/http/admin.ts). */
  admin?: { guard: Koa.Middleware; board: Koa.Middleware } | undefined;
  /**
   * API tokens, for what the app itself guards: the detailed /readyz and /metrics (admin tokens), and the
   * per-token rate limit. Without it, no token is known here.
   */
  tokens?: TokenStore | undefined;
  /** Requests per minute per client address and per API token to the APIs and admin pages (0: no limit). */
  rateLimits?: RateLimits | undefined;
  /** Proxies in front of the app whose X-Forwarded-For (and -Proto) are believed (TRUST_PROXY); 0 or unset: none. */
  trustProxy?: number | undefined;
}

/**
 * A bounded route label for metrics: the matched route's template (`/api/recordings/:recordingId`), never the
 * path itself — ids in paths must not become label values.
 */
function routeLabel(ctx: Koa.Context): string {
  const template = (ctx as { _matchedRoute?: unknown })._matchedRoute;
  if (typeof template === "string") return template;
  if (ctx.path.startsWith("/admin/")) return "/admin";
  return ["/api/eventgrid", "/healthz", "/readyz", "/metrics"].includes(ctx.path) ? ctx.path : "other";
}

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  const router = new Router();
  // Only the last `trustProxy` addresses of X-Forwarded-For are the proxies' own: the ones before them are
  // whatever the client wrote, so ctx.ip (audit `from`, the per-address limit) is the one our outer proxy saw.
  app.proxy = (deps.trustProxy ?? 0) > 0;
  app.maxIpsCount = deps.trustProxy ?? 0;
  /** Whether the request carries an admin token (the detailed health and metrics pages). */
  const mayReadOps = (ctx: Koa.Context) =>
    decide(deps.tokens?.authenticate(ctx.get("authorization") || undefined), "ops");

  // Intake errors are answers (4xx with a reason); anything else is our fault and asks the sender to retry.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof IntakeError) {
        deliveriesRefused.inc({
          path: routeLabel(ctx),
          status: String(error.status),
          reason: error.reason,
          type: error.eventType ? eventTypeLabel(error.eventType) : "unknown",
        });
        ctx.status = error.status;
        ctx.body = { error: error.message };
        // The path as far as it says which route: an id in it can be any length, and anyone can send one.
        deps.logger.warn(
          { path: ctx.path.slice(0, 200), status: error.status, reason: error.message },
          "request refused",
        );
      } else {
        ctx.status = 500;
        ctx.body = { error: "internal error" };
        deps.logger.error({ err: error, path: ctx.path }, "request failed");
      }
    }
  });

  // Koa reports what fails after the answer has started (a streamed body) as app errors: a player that seeks
  // drops its request mid-body, which is routine; anything else is logged as an error.
  app.on("error", (error: NodeJS.ErrnoException, ctx?: Koa.Context) => {
    const clientLeft = ["ERR_STREAM_PREMATURE_CLOSE", "EPIPE", "ECONNRESET"].includes(error.code ?? "");
    deps.logger[clientLeft ? "debug" : "error"](
      { err: error, path: ctx?.path },
      clientLeft ? "client went away mid-response" : "response failed",
    );
  });

  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });

  // The public port shows operations detail (policy set hashes, worker ids, every metric) to admin tokens only;
  // Prometheus and probes inside the cluster use the ops port (OPS_PORT: src/http/ops.ts).
  router.get("/metrics", async (ctx) => {
    const decision = mayReadOps(ctx);
    if (!decision.allowed)
      throw new IntakeError(decision.status, `${decision.message} (metrics: the ops port or an admin token)`);
    await serveMetrics(ctx);
  });

  router.get("/readyz", async (ctx) => {
    const body = mayReadOps(ctx).allowed ? await detailedReadiness(deps) : { ready: (await readiness(deps)).ready };
    ctx.status = body.ready ? 200 : 503;
    ctx.body = body;
  });

  // Authenticated by ACS's signed JWT (src/intake/callback-auth.ts), not by an API token.
  router.post(
    "/api/callbacks",
    intakeRoute("acs-callback-jwt", async (ctx) => {
      await deps.callbackVerifier.verify(ctx.get("authorization") || undefined);
      const body = await readBody(ctx.req, deps.maxBodyBytes);
      const delivery = parseDelivery(parseJson(body), deps);
      if (delivery.kind !== "events") throw new IntakeError(400, "subscription events are not callbacks");
      const result = await deps.sink.accept("callback", { events: delivery.events, body });
      logDelivery(deps.logger, "callback", delivery, result);
      ctx.status = 200;
    }),
  );

  // The hot path, ahead of the router: Event Grid deliveries are most of the traffic.
  app.use(eventGridIntake(deps));
  if (deps.rateLimits) app.use(rateLimit(deps.rateLimits, deps.tokens, createRateLimiter()));
  // The admin guard runs before the board: nothing of it answers without an admin token.
  if (deps.admin) {
    app.use(deps.admin.guard);
    app.use(deps.admin.board);
  }
  app.use(router.routes());
  app.use(router.allowedMethods());
  if (deps.calls) app.use(callsRoutes(deps.calls).routes());
  if (deps.retrieval) {
    app.use(recordingsRoutes(deps.retrieval.recordings).routes());
    app.use(exportsRoutes(deps.retrieval.exports).routes());
    app.use(auditRoutes(deps.retrieval.audit).routes());
    if (deps.retrieval.reconciliation) app.use(reconcileRoutes(deps.retrieval.reconciliation).routes());
    if (deps.retrieval.reviews) app.use(reviewsRoutes(deps.retrieval.reviews).routes());
  }
  app.use(qaWebRoutes().routes());
  return app;
}
