// Event Grid webhook delivery (docs/acs-payloads.md "Event Grid delivery"): validation handshake, then one event per request,
// retried on the schedule except for the statuses Event Grid never retries.
import { randomUUID } from "node:crypto";
import type { EventGridSchema } from "../types.js";
import { send } from "./http.js";
import type { AttemptOutcome, DeliveryQueue } from "./queue.js";

export const TOPIC =
  "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/simulator/providers/Microsoft.Communication/communicationServices/simulator";
/** Real deliveries carry the subscription name upper-cased. */
export const SUBSCRIPTION_NAME = "RECORDER-SIMULATOR";
const CLOUDEVENTS_ORIGIN = "eventgrid.azure.net";

export interface EventGridEvent {
  id: string;
  topic: string;
  subject: string;
  data: object;
  eventType: string;
  eventTime: string;
  dataVersion: string;
  metadataVersion: "1";
}

interface Subscription {
  endpointUrl: string;
  schema: EventGridSchema;
}

const SUCCESS = new Set([200, 201, 202, 203, 204]);
const NEVER_RETRIED = new Set([400, 401, 403, 413]);

export class EventGridPublisher {
  private subscription: Subscription | undefined;

  constructor(
    private readonly queue: DeliveryQueue,
    private readonly stop: AbortSignal,
    private readonly validationUrlBase: () => string,
    private readonly log: (line: Record<string, unknown>) => void,
  ) {}

  get endpointUrl(): string | undefined {
    return this.subscription?.endpointUrl;
  }

  /** Creates (or replaces) the subscription; throws with the reason if the endpoint does not validate. */
  async subscribe(endpointUrl: string, schema: EventGridSchema): Promise<void> {
    const failure =
      schema === "EventGridSchema" ? await this.handshake(endpointUrl) : await this.cloudEventsHandshake(endpointUrl);
    if (failure) {
      this.log({ msg: "event grid subscription validation failed", endpointUrl, reason: failure });
      throw new Error(`Event Grid subscription validation failed for ${endpointUrl}: ${failure}`);
    }
    this.subscription = { endpointUrl, schema };
    this.log({ msg: "event grid subscription validated", endpointUrl, schema });
  }

  /** Publishes one event. Without a subscription the event goes nowhere, as on Azure. */
  publish(eventType: string, subject: string, data: object): EventGridEvent {
    const event: EventGridEvent = {
      id: randomUUID(),
      topic: TOPIC,
      subject,
      data,
      eventType,
      eventTime: new Date().toISOString(),
      dataVersion: "1.0",
      metadataVersion: "1",
    };
    const sub = this.subscription;
    if (!sub) {
      this.log({ msg: "event not delivered: no event grid subscription", eventType, id: event.id });
      return event;
    }
    const label = { channel: "eventgrid", eventType, id: event.id };
    this.queue.enqueue(sub.endpointUrl, label, (n) => this.deliver(sub, event, n));
    return event;
  }

  private async deliver(sub: Subscription, event: EventGridEvent, deliveryCount: number): Promise<AttemptOutcome> {
    const common = {
      "aeg-event-type": "Notification",
      "aeg-subscription-name": SUBSCRIPTION_NAME,
      // "Number of attempts made": 0 on the first try (the exact first value is unconfirmed, ref §4.6).
      "aeg-delivery-count": String(deliveryCount),
    };
    const request =
      sub.schema === "EventGridSchema"
        ? {
            headers: {
              ...common,
              "content-type": "application/json; charset=utf-8",
              "aeg-data-version": event.dataVersion,
              "aeg-metadata-version": event.metadataVersion,
            },
            body: JSON.stringify([event]),
          }
        : {
            headers: {
              ...common,
              "content-type": "application/cloudevents+json; charset=utf-8",
              "aeg-metadata-version": "1.0",
              origin: CLOUDEVENTS_ORIGIN,
            },
            body: JSON.stringify(toCloudEvent(event)),
          };
    const res = await send(sub.endpointUrl, { method: "POST", ...request }, this.stop);
    if ("error" in res) return { result: "retry", detail: res.error };
    if (SUCCESS.has(res.status)) return { result: "delivered", detail: `HTTP ${res.status}` };
    return { result: NEVER_RETRIED.has(res.status) ? "drop" : "retry", detail: `HTTP ${res.status}` };
  }

  /** Event Grid schema: synchronous SubscriptionValidation; only 200 with the right code counts. */
  private async handshake(endpointUrl: string): Promise<string | undefined> {
    const validationCode = randomUUID();
    const id = randomUUID();
    const event = {
      id,
      topic: TOPIC,
      subject: "",
      data: {
        validationCode,
        validationUrl: `${this.validationUrlBase()}?id=${id}&t=${encodeURIComponent(new Date().toISOString())}&apiVersion=2018-05-01-preview&token=${randomUUID()}`,
      },
      eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
      eventTime: new Date().toISOString(),
      metadataVersion: "1",
      dataVersion: "1",
    };
    const res = await send(
      endpointUrl,
      {
        method: "POST",
        headers: {
          "content-type": "application/json; charset=utf-8",
          "aeg-event-type": "SubscriptionValidation",
          "aeg-subscription-name": SUBSCRIPTION_NAME,
          "aeg-delivery-count": "0",
          "aeg-data-version": "1",
          "aeg-metadata-version": "1",
        },
        body: JSON.stringify([event]),
      },
      this.stop,
    );
    if ("error" in res) return res.error;
    if (res.status !== 200) return `expected HTTP 200, got ${res.status}`;
    let answer: unknown;
    try {
      answer = JSON.parse(res.body);
    } catch {
      return "the response body is not JSON";
    }
    const code =
      typeof answer === "object" && answer !== null && "validationResponse" in answer
        ? answer.validationResponse
        : undefined;
    return code === validationCode ? undefined : "validationResponse does not match the validationCode";
  }

  /** CloudEvents 1.0 abuse protection: OPTIONS with WebHook-Request-Origin must be granted. */
  private async cloudEventsHandshake(endpointUrl: string): Promise<string | undefined> {
    const res = await send(
      endpointUrl,
      { method: "OPTIONS", headers: { "webhook-request-origin": CLOUDEVENTS_ORIGIN } },
      this.stop,
    );
    if ("error" in res) return res.error;
    if (res.status < 200 || res.status > 299) return `expected a 2xx answer to OPTIONS, got ${res.status}`;
    const allowed = res.headers.get("webhook-allowed-origin");
    if (allowed !== "*" && allowed?.toLowerCase() !== CLOUDEVENTS_ORIGIN) {
      return "WebHook-Allowed-Origin does not grant eventgrid.azure.net";
    }
    return undefined;
  }
}

function toCloudEvent(event: EventGridEvent) {
  return {
    id: event.id,
    source: event.topic,
    specversion: "1.0",
    type: event.eventType,
    subject: event.subject,
    time: event.eventTime,
    datacontenttype: "application/json",
    data: event.data,
  };
}
