import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { ACS_RECORDING_HOST_SUFFIXES } from "../../src/config/index.js";
import { createApp } from "../../src/http/app.js";
import { IntakeError } from "../../src/intake/errors.js";
import { createRedisEventSink } from "../../src/intake/sink.js";
import { createLogger } from "../../src/log.js";
import * as documented from "../fixtures/documented-events.js";
import { listen } from "../support/http.js";

const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
let redis: Redis;
let server: Server;
let base: string;

beforeAll(async () => {
  redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
  const app = createApp({
    logger: createLogger("silent", "fuzz"),
    sink: createRedisEventSink(redis, prefix),
    callbackVerifier: {
      async verify(authorization) {
        if (authorization !== "Bearer test") throw new IntakeError(401, "invalid callback token");
      },
    },
    eventGridSecrets: ["fuzz"],
    recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
    maxBodyBytes: 64 * 1024,
    readiness: {},
  });
  ({ server, base } = await listen(app));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const seeds: unknown[] = [
  [documented.incomingCall],
  [documented.callStarted],
  [documented.callEnded],
  [documented.participantAdded],
  [documented.recordingFileStatusUpdated],
  [documented.subscriptionValidation],
  documented.callConnectedCallback,
  documented.recordingStateChangedCallback,
];

/** Replaces, deletes or retypes one value somewhere inside a JSON document. */
function mutate(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== "object") return replacement;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [head, ...rest] = path;
  const index = head! % (entries.length + 1);
  if (index === entries.length) return replacement; // replace this node itself
  const [key, child] = entries[index]!;
  const mutatedChild = rest.length === 0 && replacement === "__delete__" ? undefined : mutate(child, rest, replacement);
  if (Array.isArray(value)) return value.map((v, i) => (String(i) === key ? mutatedChild : v));
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (mutatedChild === undefined) delete copy[key];
  else copy[key] = mutatedChild;
  return copy;
}

const mutatedBodies = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(fc.nat(20), { minLength: 0, maxLength: 6 }),
    fc.oneof(fc.jsonValue(), fc.constant("__delete__"), fc.string(), fc.constant(null), fc.integer()),
  )
  .map(([seed, path, replacement]) => JSON.stringify(mutate(seed, path, replacement)) ?? "null");

const randomBodies = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? "null"),
  fc.string(),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes).toString("latin1")),
);

async function send(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  await response.arrayBuffer();
  return response.status;
}

describe("intake under random and mutated input", () => {
  it.each([
    ["/api/eventgrid?code=fuzz", {}],
    ["/api/callbacks", { authorization: "Bearer test" }],
  ])("%s never answers 5xx", async (path, headers) => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedBodies, randomBodies), async (body) => {
        const status = await send(path, body, headers);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status).toBeLessThan(500);
        expect([200, 400, 413]).toContain(status);
      }),
      { numRuns: 300 },
    );
    // Both acceptance and refusal were exercised, so the property is not trivially true.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(0);
    // And the server is still alive.
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
