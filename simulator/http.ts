// The request and reply types every route works with, and how a reply is written to the socket.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Fault } from "./faults.js";

export interface SimRequest {
  method: string;
  url: URL;
  /** The pathname exactly as received (percent-encoded). */
  rawPath: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Decoded path captures of the matched route. */
  params: string[];
  /** Filled in by handlers so the request log can say which call a request touched. */
  trace: { serverCallId?: string; correlationId?: string };
  /** The injected fault that applies to this request, for faults the handler itself carries out. */
  fault?: Fault;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  json?: unknown;
  stream?: { body: Readable; length: number };
}

export function header(req: { headers: IncomingHttpHeaders }, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) throw new BodyTooLarge(`request body larger than ${limit} bytes`);
    parts.push(buf);
  }
  return Buffer.concat(parts);
}

export async function writeReply(res: ServerResponse, reply: Reply, method: string): Promise<void> {
  res.statusCode = reply.status;
  for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
  if (reply.stream) {
    res.setHeader("content-length", String(reply.stream.length));
    if (method === "HEAD") {
      reply.stream.body.destroy();
      res.end();
      return;
    }
    // pipeline gives backpressure and tears the generator down if the client goes away mid-download.
    // A body that fails mid-way (e.g. an injected drop) must cut the connection now, not when it times out.
    await pipeline(reply.stream.body, res).catch(() => res.socket?.destroy());
    return;
  }
  if (reply.json === undefined) {
    res.setHeader("content-length", "0");
    res.end();
    return;
  }
  const text = JSON.stringify(reply.json);
  res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", String(Buffer.byteLength(text)));
  res.end(method === "HEAD" ? undefined : text);
}
