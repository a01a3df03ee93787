import type Koa from "koa";
import type { Logger } from "../log.js";
import {
  bearerTokenOf,
  type BearerVerifier,
  parseJson,
  readBody,
  IntakeError,
  eventTypeLabel,
  parseDelivery,
  secretMatcher,
  type Channel,
  type EventSink,
  type SinkResult,
} from "../intake/index.js";
import { eventsReceived } from "../metrics.js";

export interface EventGridIntakeDependencies {
  logger: Logger;
  sink: EventSink;
  eventGridSecrets: readonly string[];
  /** When set, a valid Entra bearer token also authenticates a delivery. */
  eventGridEntra?: BearerVerifier | undefined;
  recordingHostSuffixes: readonly string[];
  maxBodyBytes: number;
}

export const EVENT_GRID_PATH = "/api/eventgrid";

/** The header alternative to `?code=` for the Event Grid secret (a custom delivery header). */
const SECRET_HEADER = "x-webhook-secret";

/**
 * `POST /api/eventgrid` (deliveries in either schema, and the SubscriptionValidation handshake) and
 * `OPTIONS /api/eventgrid` (the CloudEvents abuse-protection handshake, docs/acs-payloads.md "Event Grid delivery"). A plain middleware
 * matched by exact path rather than a router entry: it is nearly all of the webhook's traffic.
 */
export function eventGridIntake(deps: EventGridIntakeDependencies): Koa.Middleware {
  const isEventGridSecret = secretMatcher(deps.eventGridSecrets);

  /** A delivery is authentic with the right shared secret, or (when configured) a valid Entra bearer token. */
  const authenticate = async (ctx: Koa.Context) => {
    const fromQuery = ctx.querystring ? (new URLSearchParams(ctx.querystring).get("code") ?? undefined) : undefined;
    if (isEventGridSecret(fromQuery ?? (ctx.get(SECRET_HEADER) || undefined))) return;
    const authorization = ctx.get("authorization") || undefined;
    if (deps.eventGridEntra && bearerTokenOf(authorization)) return deps.eventGridEntra.verify(authorization);
    throw new IntakeError(401, "missing or wrong webhook secret");
  };

  const handshake = async (ctx: Koa.Context) => {
    await authenticate(ctx);
    const origin = ctx.get("webhook-request-origin");
    ctx.status = 200;
    ctx.set("Allow", "POST, OPTIONS");
    if (origin) ctx.set("WebHook-Allowed-Origin", origin);
  };

  const deliver = async (ctx: Koa.Context) => {
    await authenticate(ctx);
    const body = await readBody(ctx.req, deps.maxBodyBytes);
    const delivery = parseDelivery(parseJson(body), deps);
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
    const result = await deps.sink.accept("eventgrid", { events: delivery.events, body });
    logDelivery(deps.logger, "eventgrid", delivery, result);
    ctx.status = 200;
  };

  return async (ctx, next) => {
    if (ctx.path !== EVENT_GRID_PATH) return next();
    if (ctx.method === "POST") return deliver(ctx);
    if (ctx.method === "OPTIONS") return handshake(ctx);
    ctx.status = 405;
    ctx.set("Allow", "POST, OPTIONS");
  };
}

/** Counts every event of an accepted delivery by outcome, and logs what we chose to ignore. */
export function logDelivery(
  logger: Logger,
  channel: Channel,
  delivery: { events: { type: string }[]; ignored: { id: string; type: string }[] },
  result: SinkResult,
): void {
  delivery.events.forEach((event, index) => {
    eventsReceived.inc({ channel, type: event.type, outcome: result.stored[index] ? "stored" : "duplicate" });
  });
  for (const { type } of delivery.ignored)
    eventsReceived.inc({ channel, type: eventTypeLabel(type), outcome: "ignored" });
  if (delivery.ignored.length > 0)
    logger.info({ channel, ignored: delivery.ignored.slice(0, 20) }, "ignored event types we do not act on");
  logger.debug({ channel, count: delivery.events.length, duplicates: result.duplicates }, "delivery accepted");
}
