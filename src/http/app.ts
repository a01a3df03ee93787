import Router from "@koa/router";
import Koa from "koa";
import type { Logger } from "../log.js";
import { bearerTokenOf, type BearerVerifier } from "../intake/bearer.js";
import type { CallbackVerifier } from "../intake/callback-auth.js";
import { readBody, parseJson } from "../intake/body.js";
import { IntakeError } from "../intake/errors.js";
import { parseDelivery, SUBSCRIPTION_VALIDATION } from "../intake/parse.js";
import { isKnownEventType } from "../intake/schemas.js";
import { secretMatcher } from "../intake/secrets.js";
import type { EventSink, SinkResult } from "../intake/sink.js";
import { deliveriesRefused, eventsReceived, metrics } from "../metrics.js";
import { callsRoutes, type CallsApiDependencies } from "./calls-api.js";

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

/** The refused event's type as a label: only types we know (anyone can send any text). */
function typeLabel(type: string | undefined): string {
  if (!type) return "unknown";
  return isKnownEventType(type) || type === SUBSCRIPTION_VALIDATION ? type : "other";
}

/** The header alternative to `?code=` for the Event Grid secret (a custom delivery header). */
const SECRET_HEADER = "x-webhook-secret";

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
          type: typeLabel(error.eventType),
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

  const isEventGridSecret = secretMatcher(deps.eventGridSecrets);
  /** A delivery is authentic with the right shared secret, or (when configured) a valid Entra bearer token. */
  const authenticateEventGrid = async (ctx: Koa.Context) => {
    const fromQuery = typeof ctx.query.code === "string" ? ctx.query.code : undefined;
    const fromHeader = ctx.get(SECRET_HEADER) || undefined;
    if (isEventGridSecret(fromQuery ?? fromHeader)) return;
    const authorization = ctx.get("authorization") || undefined;
    if (deps.eventGridEntra && bearerTokenOf(authorization)) return deps.eventGridEntra.verify(authorization);
    throw new IntakeError(401, "missing or wrong webhook secret");
  };

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

  // CloudEvents abuse-protection handshake (reference §4.3).
  router.options("/api/eventgrid", async (ctx) => {
    await authenticateEventGrid(ctx);
    const origin = ctx.get("webhook-request-origin");
    ctx.status = 200;
    ctx.set("Allow", "POST, OPTIONS");
    if (origin) ctx.set("WebHook-Allowed-Origin", origin);
  });

  router.post("/api/eventgrid", async (ctx) => {
    await authenticateEventGrid(ctx);
    const delivery = parseDelivery(parseJson(await readBody(ctx.req, deps.maxBodyBytes)), deps);
    if (delivery.kind === "deletion" || ctx.get("aeg-event-type") === "SubscriptionDeletion") {
      deps.logger.warn({ subscription: ctx.get("aeg-subscription-name") }, "Event Grid subscription deleted");
      ctx.status = 200;
      return;
    }
    if (delivery.kind === "validation") {
      ctx.status = 200;
      ctx.body = { validationResponse: delivery.validationCode };
      deps.logger.info({ subscription: ctx.get("aeg-subscription-name") }, "Event Grid subscription validated");
      return;
    }
    const result = await deps.sink.accept("eventgrid", delivery.events);
    logDelivery(deps.logger, "eventgrid", delivery, result);
    ctx.status = 200;
  });

  router.post("/api/callbacks", async (ctx) => {
    await deps.callbackVerifier.verify(ctx.get("authorization") || undefined);
    const delivery = parseDelivery(parseJson(await readBody(ctx.req, deps.maxBodyBytes)), deps);
    if (delivery.kind !== "events") throw new IntakeError(400, "subscription events are not callbacks");
    const result = await deps.sink.accept("callback", delivery.events);
    logDelivery(deps.logger, "callback", delivery, result);
    ctx.status = 200;
  });

  // The admin guard runs before the board: nothing of it answers without an admin token.
  if (deps.admin) {
    app.use(deps.admin.guard);
    app.use(deps.admin.board);
  }
  app.use(router.routes());
  app.use(router.allowedMethods());
  if (deps.calls) app.use(callsRoutes(deps.calls).routes());
  return app;
}

/** Counts every event of an accepted delivery by outcome, and logs what we chose to ignore. */
function logDelivery(
  logger: Logger,
  channel: "eventgrid" | "callback",
  delivery: { events: { type: string }[]; ignored: { id: string; type: string }[] },
  result: SinkResult,
): void {
  delivery.events.forEach((event, index) => {
    eventsReceived.inc({ channel, type: event.type, outcome: result.stored[index] ? "stored" : "duplicate" });
  });
  for (const { type } of delivery.ignored) eventsReceived.inc({ channel, type, outcome: "ignored" });
  if (delivery.ignored.length > 0)
    logger.info({ channel, ignored: delivery.ignored }, "ignored event types we do not act on");
  logger.debug({ channel, count: delivery.events.length, duplicates: result.duplicates }, "delivery accepted");
}
