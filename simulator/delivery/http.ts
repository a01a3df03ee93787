// One outgoing HTTP request with Event Grid's 30 s response timeout; never throws.
// node:http with a keep-alive agent rather than fetch: the simulator shares the machine with the app it
// drives, and fetch cost it about three times the CPU per delivery, time taken from the app under test.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export type HttpOutcome = { status: number; body: string; headers: Headers } | { error: string };

const RESPONSE_TIMEOUT_MS = 30_000;

const agents = {
  "http:": new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  "https:": new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return headers;
}

export function send(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  stop: AbortSignal,
): Promise<HttpOutcome> {
  return new Promise((resolve) => {
    const fail = (err: unknown) =>
      resolve({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    let target: URL;
    try {
      target = new URL(url);
    } catch (err) {
      return fail(err);
    }
    const protocol = target.protocol === "https:" ? "https:" : target.protocol === "http:" ? "http:" : undefined;
    if (!protocol) return fail(new TypeError(`unsupported protocol ${target.protocol}`));
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const req = (protocol === "https:" ? httpsRequest : httpRequest)(target, {
      method: init.method,
      headers: { ...init.headers, ...(body ? { "content-length": String(body.length) } : {}) },
      agent: agents[protocol],
      signal: stop,
      timeout: RESPONSE_TIMEOUT_MS,
    });
    req.on("timeout", () => req.destroy(new Error(`no response within ${RESPONSE_TIMEOUT_MS} ms`)));
    req.on("error", fail);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: headersOf(res) }),
      );
    });
    req.end(body);
  });
}
