import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as documented from "../../test/fixtures/documented-events.js";
import { ACS_RECORDING_HOST_SUFFIXES } from "../config/index.js";
import { IntakeError } from "../intake/errors.js";
import type { AcsEvent } from "../intake/schemas.js";
import { createLogger } from "../log.js";
import { sinkResult } from "../intake/sink.js";
import { createApp } from "./app.js";
import { listen } from "../../test/support/http.js";
import { sha256Hex, tokenStore } from "../auth/tokens.js";

const accepted: { channel: string; events: AcsEvent[] }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  const app = createApp({
    logger: createLogger("silent", "test"),
    sink: {
      async accept(channel, { events }) {
        accepted.push({ channel, events: [...events] });
        return sinkResult(events.map(() => true));
      },
    },
    callbackVerifier: {
      async verify(authorization) {
        if (authorization !== "Bearer good") throw new IntakeError(401, "invalid callback token");
      },
    },
    eventGridSecrets: ["old-secret", "new-secret"],
    recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
    maxBodyBytes: 64 * 1024,
    readiness: { redis: async () => undefined },
    info: () => ({ policies: { hash: "h" } }),
    tokens: tokenStore([
      { name: "ops", role: "admin", sha256: sha256Hex("admin-token") },
      { name: "auditor", role: "auditor", sha256: sha256Hex("auditor-token") },
    ]),
  });
  ({ server, base } = await listen(app));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** An event's JSON with an extra field nested `depth` levels (built as text: stringifying deep values overflows). */
const withDeepField = (event: object, depth: number) =>
  JSON.stringify({ ...event, extra: "DEEP" }).replace('"DEEP"', "[".repeat(depth) + "]".repeat(depth));

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("POST /api/eventgrid", () => {
  it("answers the subscription validation handshake with 200 and the code", async () => {
    const response = await post("/api/eventgrid?code=new-secret", [documented.subscriptionValidation], {
      "aeg-event-type": "SubscriptionValidation",
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      validationResponse: documented.subscriptionValidation.data.validationCode,
    });
  });

  it.each([
    ["query secret (old, during rotation)", "/api/eventgrid?code=old-secret", {}],
    ["header secret", "/api/eventgrid", { "x-webhook-secret": "new-secret" }],
  ])("accepts events with a %s", async (_name, path, headers) => {
    const before = accepted.length;
    const response = await post(path, [documented.callStarted], headers);
    expect(response.status).toBe(200);
    expect(accepted.length).toBe(before + 1);
    expect(accepted.at(-1)?.events[0]?.id).toBe(documented.callStarted.id);
  });

  it.each([
    ["no secret", "/api/eventgrid"],
    ["a wrong secret", "/api/eventgrid?code=guess"],
    ["a secret prefix", "/api/eventgrid?code=new-secre"],
  ])("refuses %s with 401 and stores nothing", async (_name, path) => {
    const before = accepted.length;
    const response = await post(path, [documented.callStarted]);
    expect(response.status).toBe(401);
    expect(accepted.length).toBe(before);
  });

  const asCloudEvent = {
    id: "ce-1",
    source: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/n",
    type: documented.callStarted.eventType,
    specversion: "1.0",
    subject: documented.callStarted.subject,
    time: documented.callStarted.eventTime,
    data: documented.callStarted.data,
  };
  it.each([
    ["application/cloudevents+json; charset=utf-8", { ...asCloudEvent, id: "ce-single" }],
    [
      "application/cloudevents-batch+json; charset=utf-8",
      [
        { ...asCloudEvent, id: "ce-b1" },
        { ...asCloudEvent, id: "ce-b2" },
      ],
    ],
    ["application/json", [{ ...asCloudEvent, id: "ce-array" }]],
  ])("accepts CloudEvents 1.0 as %s", async (contentType, body) => {
    const before = accepted.length;
    const response = await post("/api/eventgrid?code=new-secret", body, { "content-type": contentType });
    expect(response.status).toBe(200);
    expect(accepted.slice(before).flatMap((a) => a.events.map((e) => e.id))).toEqual(
      (Array.isArray(body) ? body : [body]).map((e) => e.id),
    );
  });

  it("refuses malformed JSON with 400 naming the problem", async () => {
    const response = await post("/api/eventgrid?code=new-secret", "[{ not json");
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain("malformed JSON");
  });

  it("refuses a body over the limit with 413", async () => {
    const big = [
      { ...documented.callStarted, data: { ...documented.callStarted.data, padding: "x".repeat(70 * 1024) } },
    ];
    const response = await post("/api/eventgrid?code=new-secret", big);
    expect(response.status).toBe(413);
  });

  it("refuses an event with a deeply nested extra field with 400 and stores nothing", async () => {
    const before = accepted.length;
    const deep = { ...documented.callStarted, id: "deep" };
    const response = await post("/api/eventgrid?code=new-secret", `[${withDeepField(deep, 20_000)}]`);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/nested deeper than \d+ levels/);
    expect(accepted.length).toBe(before);
    // A modestly nested extra field (as a future ACS field might be) is still taken.
    const modest = { ...documented.callStarted, id: "modest" };
    expect((await post("/api/eventgrid?code=new-secret", `[${withDeepField(modest, 12)}]`)).status).toBe(200);
  });

  it("grants the CloudEvents OPTIONS handshake", async () => {
    const response = await fetch(`${base}/api/eventgrid?code=new-secret`, {
      method: "OPTIONS",
      headers: { "WebHook-Request-Origin": "eventgrid.azure.net" },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("webhook-allowed-origin")).toBe("eventgrid.azure.net");
  });
});

describe("POST /api/callbacks", () => {
  it("accepts a verified callback", async () => {
    const response = await post("/api/callbacks", documented.callConnectedCallback, { authorization: "Bearer good" });
    expect(response.status).toBe(200);
    expect(accepted.at(-1)).toMatchObject({
      channel: "callback",
      events: [{ type: "Microsoft.Communication.CallConnected" }],
    });
  });

  it("accepts ParticipantsUpdated and stores it for the event worker, like every callback it acts on", async () => {
    const response = await post("/api/callbacks", documented.participantsUpdatedCallback, {
      authorization: "Bearer good",
    });
    expect(response.status).toBe(200);
    expect(accepted.at(-1)).toMatchObject({
      channel: "callback",
      events: [{ id: "pu-1", type: "Microsoft.Communication.ParticipantsUpdated" }],
    });
  });

  it("refuses a deeply nested callback with 400 and stores nothing", async () => {
    const before = accepted.length;
    const deep = withDeepField(documented.callConnectedCallback[0]!, 20_000);
    const response = await post("/api/callbacks", `[${deep}]`, { authorization: "Bearer good" });
    expect(response.status).toBe(400);
    expect(accepted.length).toBe(before);
  });

  it("refuses an unverified callback with 401 and stores nothing", async () => {
    const before = accepted.length;
    const response = await post("/api/callbacks", documented.callConnectedCallback, { authorization: "Bearer forged" });
    expect(response.status).toBe(401);
    expect(accepted.length).toBe(before);
  });
});

/** The metrics as an admin (or Prometheus on the ops port) reads them. */
const scrape = async () => {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer admin-token" } });
  expect(response.status).toBe(200);
  return response.text();
};

/**
 * One series' value in a scrape (0 when absent). The registry is the process's: other test files in the same
 * worker count into it too (the unit project shares modules between files), so counts are compared as deltas.
 */
const valueOf = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

describe("GET /metrics", () => {
  it("answers admin tokens only: 401 without a token, 403 for another role", async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: "Bearer auditor-token" } })).status).toBe(403);
    expect(await scrape()).toContain("# TYPE intake_events_total counter");
  });

  it("counts events by type and outcome, including ignored types and refused deliveries", async () => {
    const unknown = {
      ...documented.callStarted,
      id: "metrics-unknown",
      eventType: "Microsoft.Communication.ChatMessageReceived",
    };
    await post("/api/eventgrid?code=new-secret", [unknown]);
    await post("/api/eventgrid?code=wrong", [documented.callStarted]);
    const text = await scrape();
    // A type we do not act on is counted under the fixed label "other": anyone can send any text as a type.
    expect(text).toMatch(/intake_events_total\{channel="eventgrid",type="other",outcome="ignored"\} [1-9]/);
    expect(text).not.toContain("ChatMessageReceived");
    expect(text).toMatch(
      /intake_events_total\{channel="eventgrid",type="Microsoft.Communication.CallStarted",outcome="stored"\} [1-9]/,
    );
    expect(text).toMatch(
      /intake_deliveries_refused_total\{path="\/api\/eventgrid",status="401",reason="unauthenticated",type="unknown"\} [1-9]/,
    );
  });

  it("keeps the type label bounded: a delivery of 300 unknown types adds no series per type", async () => {
    const delivery = Array.from({ length: 300 }, (_, i) => ({
      id: `label-flood-${i}`,
      eventType: `Flood.Type${i}`,
      subject: "s",
      eventTime: "2026-01-01T00:00:00Z",
      data: {},
    }));
    expect((await post("/api/eventgrid?code=new-secret", delivery)).status).toBe(200);
    const text = await scrape();
    expect(text).not.toContain("Flood.Type");
    const typeLabels = new Set([...text.matchAll(/^intake_events_total\{[^}]*type="([^"]*)"/gm)].map((m) => m[1]));
    expect([...typeLabels].every((type) => type === "other" || type!.startsWith("Microsoft."))).toBe(true);
  });

  it("labels refusals with the reason and the refused event's type, never with text from the request", async () => {
    const { recordingStorageInfo } = documented.recordingFileStatusUpdated.data;
    const offHost = {
      ...documented.recordingFileStatusUpdated,
      id: "metrics-ssrf",
      data: {
        ...documented.recordingFileStatusUpdated.data,
        recordingStorageInfo: {
          recordingChunks: recordingStorageInfo.recordingChunks.map((chunk) => ({
            ...chunk,
            contentLocation: "https://attacker.example/x",
          })),
        },
      },
    };
    const refused = (reason: string, type: string) =>
      `intake_deliveries_refused_total{path="/api/eventgrid",status="400",reason="${reason}",type="${type}"}`;
    const offHostSeries = refused("url-not-allowed", "Microsoft.Communication.RecordingFileStatusUpdated");
    const badDataSeries = refused("invalid-data", "Microsoft.Communication.CallStarted");
    const before = await scrape();
    expect((await post("/api/eventgrid?code=new-secret", [offHost])).status).toBe(400);
    const badData = { ...documented.callStarted, id: "metrics-bad", data: { serverCallId: 7 } };
    expect((await post("/api/eventgrid?code=new-secret", [badData])).status).toBe(400);
    expect((await post("/api/eventgrid?code=new-secret", "{not json")).status).toBe(400);
    const text = await scrape();
    expect(valueOf(text, offHostSeries) - valueOf(before, offHostSeries)).toBe(1);
    expect(valueOf(text, badDataSeries) - valueOf(before, badDataSeries)).toBe(1);
    expect(text).toMatch(
      /intake_deliveries_refused_total\{path="\/api\/eventgrid",status="400",reason="malformed-json",type="unknown"\} [1-9]/,
    );
    expect(text).not.toContain("attacker.example");
  });
});

describe("health", () => {
  it("reports liveness and readiness: only whether it is ready to anyone, the checks and facts to admin tokens", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true });
    const detailed = await fetch(`${base}/readyz`, { headers: { authorization: "Bearer admin-token" } });
    expect(await detailed.json()).toEqual({ ready: true, checks: { redis: "ok" }, info: { policies: { hash: "h" } } });
  });
});
