import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as documented from "../../test/fixtures/documented-events.js";
import { startLocalIssuer, type LocalIssuer } from "../../test/support/local-issuer.js";
import { ACS_RECORDING_HOST_SUFFIXES } from "../config/index.js";
import { createBearerVerifier, remoteKeys } from "../intake/bearer.js";
import { createLogger } from "../log.js";
import { sinkResult } from "../intake/sink.js";
import { createApp } from "./app.js";
import { listen } from "../../test/support/http.js";

const AUDIENCE = "api://compliance-recorder-webhook";
let issuer: LocalIssuer;
let server: Server;
let base: string;
let stored = 0;

beforeAll(async () => {
  issuer = await startLocalIssuer("https://sts.windows.net/00000000-0000-0000-0000-00000000cafe/");
  const app = createApp({
    logger: createLogger("silent", "test"),
    sink: {
      async accept(_channel, { events }) {
        stored += events.length;
        return sinkResult(events.map(() => true));
      },
    },
    callbackVerifier: { verify: async () => undefined },
    eventGridSecrets: [],
    eventGridEntra: createBearerVerifier(async () => remoteKeys(issuer.issuer, issuer.jwksUrl), AUDIENCE, "Entra"),
    recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
    maxBodyBytes: 64 * 1024,
    readiness: {},
  });
  ({ server, base } = await listen(app));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await issuer.stop();
});

const deliver = (authorization?: string) =>
  fetch(`${base}/api/eventgrid`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    body: JSON.stringify([documented.callStarted]),
  });

describe("Event Grid deliveries authenticated with Microsoft Entra tokens", () => {
  it("accepts a valid token for our audience", async () => {
    const before = stored;
    expect((await deliver(`Bearer ${await issuer.sign({ aud: AUDIENCE })}`)).status).toBe(200);
    expect(stored).toBe(before + 1);
  });

  it.each([
    ["no credentials", async () => undefined],
    ["a token for another audience", async () => `Bearer ${await issuer.sign({ aud: "api://other" })}`],
    ["an expired token", async () => `Bearer ${await issuer.sign({ aud: AUDIENCE, expiresIn: 1 })}`],
    [
      "a token from another tenant",
      async () => `Bearer ${await issuer.sign({ aud: AUDIENCE, iss: "https://sts.windows.net/other/" })}`,
    ],
  ])("refuses %s with 401 and stores nothing", async (_name, authorization) => {
    const before = stored;
    expect((await deliver(await authorization())).status).toBe(401);
    expect(stored).toBe(before);
  });
});
