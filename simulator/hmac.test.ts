import { describe, expect, it } from "vitest";
import { signRequest, verifySignature } from "./hmac.js";

const key = Buffer.from("test-key-bytes").toString("base64");
const raw = Buffer.from(key, "base64");

function asReceived(method: string, url: string, body = "", msHost?: string) {
  const headers = signRequest({ method, url, body, ...(msHost ? { msHost } : {}) }, key);
  const u = new URL(url);
  const all: Record<string, string> = { ...headers, host: u.host };
  return { method, url: u.pathname + u.search, headers: all, body: Buffer.from(body) };
}

describe("verifySignature", () => {
  it("accepts what the SDK's recipe signs, including re-serialised queries", () => {
    const req = asReceived("POST", "http://127.0.0.1:4000/calling/recordings?api-version=2026-03-12", '{"a":1}');
    expect(verifySignature(req, raw)).toEqual({ ok: true });
    const spaced = asReceived("GET", "http://127.0.0.1:4000/calling/callConnections/x%20y?a=b%20c&z=1");
    expect(verifySignature(spaced, raw)).toEqual({ ok: true });
  });

  it("signs storage requests over the x-ms-host and the path only", () => {
    const req = asReceived("GET", "http://127.0.0.1:4000/v1/objects/doc/content/audiowav?sv=1", "", "127.0.0.1:9999");
    expect(verifySignature({ ...req, headers: { ...req.headers, host: "us-storage.asm.skype.com" } }, raw)).toEqual({
      ok: true,
    });
  });

  it("rejects tampering, wrong keys and missing headers with a reason", () => {
    const req = asReceived("POST", "http://127.0.0.1:4000/calling/recordings?api-version=1", '{"a":1}');
    expect(verifySignature({ ...req, body: Buffer.from('{"a":2}') }, raw)).toMatchObject({
      ok: false,
      reason: /sha256/,
    });
    expect(verifySignature(req, Buffer.from("other"))).toMatchObject({ ok: false, reason: /signature/ });
    expect(verifySignature({ ...req, method: "PUT" }, raw)).toMatchObject({ ok: false });
    expect(verifySignature({ ...req, url: "/calling/recordings?api-version=2" }, raw)).toMatchObject({ ok: false });
    expect(verifySignature({ ...req, headers: { ...req.headers, host: "evil:1" } }, raw)).toMatchObject({ ok: false });
    const { authorization: _a, ...noAuth } = req.headers;
    expect(verifySignature({ ...req, headers: noAuth }, raw)).toMatchObject({ ok: false, reason: /Authorization/ });
    expect(verifySignature({ ...req, headers: { ...req.headers, authorization: "Bearer abc" } }, raw)).toMatchObject({
      ok: false,
    });
  });
});
