import Router from "@koa/router";
import Koa from "koa";
import type { Logger } from "../log.js";
import type { BearerVerifier } from "../intake/bearer.js";
import type { CallbackVerifier } from "../intake/callback-auth.js";
import { readBody, parseJson } from "../intake/body.js";
import { IntakeError } from "../intake/errors.js";
import { eventTypeLabel, parseDelivery } from "../intake/parse.js";
import type { EventSink } from "../intake/sink.js";
import { deliveriesRefused, metrics } from "../metrics.js";
import { auditRoutes, type AuditApiDependencies } from "./audit-api.js";
import { callsRoutes, type CallsApiDependencies } from "./calls-api.js";
import { eventGridIntake, logDelivery } from "./eventgrid.js";
import { exportsRoutes, type ExportsApiDependencies } from "./exports-api.js";
import { recordingsRoutes, type RecordingsApiDependencies } from "./recordings-api.js";
import { qaWebRoutes } from "../qa-web/routes.js";

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
  readiness: Record<string, () => Promise<void>>;
  /** The calls API (PCI pause/resume); not mounted without it. */
  calls?: CallsApiDependencies | undefined;
  /** QA retrieval: recordings, exports and the audit log (docs/recordings-api.md); not mounted without it. */
  retrieval?:
    { recordings: RecordingsApiDependencies; exports: ExportsApiDependencies; audit: AuditApiDependencies } | undefined;
  /** Facts /readyz reports beside the checks (e.g. the policy set hash in force, workers alive). */
  info?: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Operations pages (bull-board), behind admin tokens; not mounted without it. */
  admin?: { base: string; guard: Koa.Middleware; board: Koa.Middleware } | undefined;
}

/** A bounded route label for metrics: ids in paths (the calls API) must not become label values. */
function routeLabel(path: string): string {
  if (path.startsWith("/api/calls/")) return "/api/calls/:serverCallId/:operation";
  if (path.startsWith("/admin/")) return "/admin";
  return ["/api/eventgrid", "/api/callbacks", "/healthz", "/readyz", "/metrics"].includes(path) ? path : "other";
}

export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  const router = new Router();

  // Intake errors are answers (4xx with a reason); anything else is our fault and asks the sender to retry.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (error instanceof IntakeError) {
        deliveriesRefused.inc({
          path: routeLabel(ctx.path),
          status: String(error.status),
          reason: error.reason,
          type: error.eventType ? eventTypeLabel(error.eventType) : "unknown",
        });
        ctx.status = error.status;
        ctx.body = { error: error.message };
        deps.logger.warn({ path: ctx.path, status: error.status, reason: error.message }, "request refused");
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

  router.get("/metrics", async (ctx) => {
    ctx.type = metrics.contentType;
    ctx.body = await metrics.metrics();
  });

  router.get("/readyz", async (ctx) => {
    const results = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await check();
          return [name, "ok"] as const;
        } catch (error) {
          return [name, (error as Error).message] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === "ok");
    ctx.status = ready ? 200 : 503;
    ctx.body = { ready, checks: Object.fromEntries(results), ...(deps.info ? { info: await deps.info() } : {}) };
  });

  router.post("/api/callbacks", async (ctx) => {
    await deps.callbackVerifier.verify(ctx.get("authorization") || undefined);
    const body = await readBody(ctx.req, deps.maxBodyBytes);
    const delivery = parseDelivery(parseJson(body), deps);
    if (delivery.kind !== "events") throw new IntakeError(400, "subscription events are not callbacks");
    const result = await deps.sink.accept("callback", { events: delivery.events, body });
    logDelivery(deps.logger, "callback", delivery, result);
    ctx.status = 200;
  });

  // The hot path, ahead of the router: Event Grid deliveries are most of the traffic.
  app.use(eventGridIntake(deps));
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
  }
  app.use(qaWebRoutes().routes());
  return app;
}
