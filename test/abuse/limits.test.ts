// Request limits (issue 15): per client address and per API token (429 with Retry-After), verifications at once,
// and intake never limited. docs/security.md links here.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as documented from "../fixtures/documented-events.js";
import { startHarness, TOKENS, type Harness } from "./harness.js";

let h: Harness;
beforeAll(async () => {
  // TRUST_PROXY=1: each test speaks from addresses of its own (the last X-Forwarded-For entry).
  h = await startHarness({
    TRUST_PROXY: "1",
    RATE_LIMIT_PER_ADDRESS: "30",
    RATE_LIMIT_PER_TOKEN: "20",
    VERIFY_CONCURRENCY: "1",
  });
});
afterAll(async () => {
  await h?.stop();
});

const from = (address: string, token?: string) => ({
  headers: { "x-forwarded-for": address },
  ...(token ? { token } : {}),
});
async function answers(count: number, request: (i: number) => Promise<Response>) {
  const all: Response[] = [];
  for (let i = 0; i < count; i++) {
    const response = await request(i);
    await response.arrayBuffer();
    all.push(response);
  }
  return all;
}

describe("rate limits", () => {
  it("answers 429 with Retry-After once an address used its requests of the minute; other addresses go on", async () => {
    const replies = await answers(31, () => h.fetch("/api/recordings", from("198.51.100.1")));
    expect(replies.slice(0, 30).map((r) => r.status)).toEqual(Array(30).fill(401));
    expect(replies[30]!.status).toBe(429);
    const retryAfter = Number(replies[30]!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await h.fetch("/api/recordings", from("198.51.100.2"))).status).toBe(401);
  });

  it("limits a token across addresses", async () => {
    const replies = await answers(21, (i) => h.fetch("/api/recordings", from(`198.51.100.${10 + i}`, TOKENS.legal)));
    expect(replies.slice(0, 20).map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(replies[20]!.status).toBe(429);
    expect(replies[20]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await h.fetch("/api/recordings", from("198.51.100.60", TOKENS.auditor))).status).toBe(200);
  });

  it("never limits intake: Event Grid keeps delivering from an address that is limited", async () => {
    await answers(31, () => h.fetch("/api/recordings", from("198.51.100.70")));
    const delivered = await answers(40, (i) =>
      h.fetch(`/api/eventgrid?code=${h.eventGridSecret}`, {
        method: "POST",
        headers: { "x-forwarded-for": "198.51.100.70", "content-type": "application/json" },
        body: JSON.stringify([{ ...documented.callEnded, id: `limits-${i}` }]),
      }),
    );
    expect(delivered.every((r) => r.status === 200)).toBe(true);
  });
});

describe("verification", () => {
  it("runs VERIFY_CONCURRENCY at once; more are answered 429 with Retry-After, and none is lost", async () => {
    const recording = await h.seedRecording("trading-desk", { chunkBytes: 4 * 1024 * 1024 });
    const path = `/api/recordings/${encodeURIComponent(recording.recordingId)}/verify`;
    const replies = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        h.fetch(path, { method: "POST", ...from(`198.51.100.${80 + i}`, TOKENS.auditor) }),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const refused = replies.find((r) => r.status === 429)!;
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
    for (const reply of replies) await reply.arrayBuffer();
  });
});
