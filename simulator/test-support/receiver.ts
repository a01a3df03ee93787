// A tiny local HTTP endpoint standing in for the app: records what it receives, answers the Event Grid
// handshake, and can be told to fail the next deliveries.
import { createServer } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer to the next Notification deliveries, in order (then 200). */
  failNext(...statuses: number[]): void;
  /**
   * Statuses to answer to the next deliveries of an event of this type (Event Grid `eventType`, CloudEvents
   * `type`), in order: other deliveries arriving meanwhile are not affected.
   */
  failNextOf(type: string, ...statuses: number[]): void;
  /** How the Event Grid handshake is answered. */
  handshake: "echo" | "wrong-code" | "500";
  /** Deliveries that are not handshakes. */
  notifications(): Received[];
  waitFor(pred: (all: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const failures: number[] = [];
  const failuresByType = new Map<string, number[]>();
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => {
      const body = Buffer.concat(parts).toString("utf8");
      let json: unknown;
      try {
        json = body ? JSON.parse(body) : undefined;
      } catch {
        json = undefined;
      }
      received.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, json });
      if (req.method === "OPTIONS") {
        res.writeHead(200, { "webhook-allowed-origin": String(req.headers["webhook-request-origin"] ?? "") });
        res.end();
        return;
      }
      if (req.headers["aeg-event-type"] === "SubscriptionValidation") {
        if (receiver.handshake === "500") {
          res.writeHead(500).end();
          return;
        }
        const event = (json as { data: { validationCode: string } }[])[0];
        const code = receiver.handshake === "echo" ? event?.data.validationCode : "wrong";
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ validationResponse: code }));
        return;
      }
      const status = failuresByType.get(typeOf(json) ?? "")?.shift() ?? failures.shift() ?? 200;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    received,
    handshake: "echo",
    failNext: (...statuses) => failures.push(...statuses),
    failNextOf: (type, ...statuses) => failuresByType.set(type, [...(failuresByType.get(type) ?? []), ...statuses]),
    notifications: () =>
      received.filter((r) => r.method === "POST" && r.headers["aeg-event-type"] !== "SubscriptionValidation"),
    async waitFor(pred, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`receiver: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return receiver;
}

/** The type of the (first) event of a delivery: an Event Grid schema array, a CloudEvents array or one CloudEvent. */
function typeOf(json: unknown): string | undefined {
  const first = (Array.isArray(json) ? json[0] : json) as { eventType?: unknown; type?: unknown } | undefined;
  const type = first?.eventType ?? first?.type;
  return typeof type === "string" ? type : undefined;
}
