// HMAC-SHA256 request verification, following docs/acs-payloads.md "Authentication" step by step.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export interface SignedRequest {
  method: string;
  /** The request target as received: percent-encoded path plus query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

const AUTH_PATTERN = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function verifySignature(req: SignedRequest, key: Buffer): VerifyResult {
  const auth = header(req.headers, "authorization");
  if (!auth) return { ok: false, reason: "Missing Authorization header." };
  const match = AUTH_PATTERN.exec(auth);
  if (!match) return { ok: false, reason: "Authorization header is not an HMAC-SHA256 signature." };
  const [, signedHeaders, signature] = match;
  if (signedHeaders?.toLowerCase() !== "x-ms-date;host;x-ms-content-sha256") {
    return { ok: false, reason: "SignedHeaders must be x-ms-date;host;x-ms-content-sha256." };
  }

  const contentHash = createHash("sha256").update(req.body).digest("base64");
  if (header(req.headers, "x-ms-content-sha256") !== contentHash) {
    return { ok: false, reason: "x-ms-content-sha256 does not match the request body." };
  }
  const date = header(req.headers, "x-ms-date");
  if (!date) return { ok: false, reason: "Missing x-ms-date header." };

  // Content download/delete sign the ACS endpoint host and the path only (docs/acs-payloads.md "Recording files").
  const msHost = header(req.headers, "x-ms-host");
  const host = msHost ?? header(req.headers, "host");
  if (!host) return { ok: false, reason: "Missing Host header." };
  const url = new URL(req.url, "http://signature.invalid");
  const query = url.searchParams.toString();
  const pathAndQuery = msHost === undefined && query ? `${url.pathname}?${query}` : url.pathname;

  const stringToSign = `${req.method.toUpperCase()}\n${pathAndQuery}\n${date};${host};${contentHash}`;
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest("base64");
  if (!signature || !safeEqual(signature, expected)) {
    return { ok: false, reason: "The request signature is invalid." };
  }
  return { ok: true };
}

/** Builds the headers the SDK would send; used by tests and by anyone scripting raw requests. */
export function signRequest(
  req: { method: string; url: string; body?: string; msHost?: string },
  accessKey: string,
  now: Date = new Date(),
): Record<string, string> {
  const url = new URL(req.url);
  const body = req.body ?? "";
  const contentHash = createHash("sha256").update(body, "utf8").digest("base64");
  const date = now.toUTCString();
  const query = url.searchParams.toString();
  const host = req.msHost ?? url.host;
  const pathAndQuery = req.msHost === undefined && query ? `${url.pathname}?${query}` : url.pathname;
  const stringToSign = `${req.method.toUpperCase()}\n${pathAndQuery}\n${date};${host};${contentHash}`;
  const signature = createHmac("sha256", Buffer.from(accessKey, "base64"))
    .update(stringToSign, "utf8")
    .digest("base64");
  const headers: Record<string, string> = {
    "x-ms-date": date,
    "x-ms-content-sha256": contentHash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
  if (req.msHost !== undefined) headers["x-ms-host"] = req.msHost;
  return headers;
}
