// Call Automation mid-call callbacks (docs/acs-payloads.md "Callbacks"): a JSON array of one CloudEvent, with a fresh
// RS256 JWT per request in `Authorization: Bearer`.
import { randomUUID } from "node:crypto";
import type { CallbackSigner } from "../jwt.js";
import { send } from "./http.js";
import type { AttemptOutcome, DeliveryQueue } from "./queue.js";

/** The data `version` seen in the most recent real deliveries (docs/acs-payloads.md "Callbacks"). */
const EVENT_VERSION = "2025-08-15-preview";

export interface CallbackCloudEvent {
  id: string;
  source: string;
  type: string;
  data: Record<string, unknown>;
  time: string;
  specversion: "1.0";
  datacontenttype: "application/json";
  subject: string;
}

export class CallbackPublisher {
  constructor(
    private readonly queue: DeliveryQueue,
    private readonly signer: CallbackSigner,
    private readonly stop: AbortSignal,
  ) {}

  /** `name` without the "Microsoft.Communication." prefix, e.g. "CallConnected"; `time`: when it happened (default now). */
  post(
    callbackUri: string,
    name: string,
    source: string,
    data: Record<string, unknown>,
    time: Date = new Date(),
  ): CallbackCloudEvent {
    const type = `Microsoft.Communication.${name}`;
    const event: CallbackCloudEvent = {
      id: randomUUID(),
      source,
      type,
      data: { ...data, version: EVENT_VERSION, publicEventType: type },
      time: time.toISOString(),
      specversion: "1.0",
      datacontenttype: "application/json",
      subject: source,
    };
    const label = { channel: "callback", eventType: type, id: event.id };
    this.queue.enqueue(callbackUri, label, () => this.deliver(callbackUri, event));
    return event;
  }

  private async deliver(callbackUri: string, event: CallbackCloudEvent): Promise<AttemptOutcome> {
    const token = await this.signer.sign();
    const res = await send(
      callbackUri,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify([event]),
      },
      this.stop,
    );
    if ("error" in res) return { result: "retry", detail: res.error };
    if (res.status >= 200 && res.status <= 299) return { result: "delivered", detail: `HTTP ${res.status}` };
    // ACS's callback retry policy is undocumented (ref §3.1): retry what is plausibly transient only.
    const transient = res.status === 408 || res.status === 429 || res.status >= 500;
    return { result: transient ? "retry" : "drop", detail: `HTTP ${res.status}` };
  }
}
