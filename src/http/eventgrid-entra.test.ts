import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as documented from "../../test/fixtures/documented-events.js";
import { startLocalIssuer, type LocalIssuer } from "../../test/support/local-issuer.js";
import { ACS_RECORDING_HOST_SUFFIXES } from "../config/index.js";
import { createEntraDeliveryVerifier, EVENT_GRID_APP_ID, EVENT_GRID_WEBHOOK_ROLE } from "../intake/entra.js";
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
    eventGridEntra: createEntraDeliveryVerifier({
      issuer: issuer.issuer,
      jwksUrl: issuer.jwksUrl,
      audience: AUDIENCE,
      allowedAppIds: [EVENT_GRID_APP_ID.public],
      requiredRole: EVENT_GRID_WEBHOOK_ROLE,
    }),
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

/** What Event Grid's own tokens carry: v1.0 (`appid`) or v2.0 (`azp`), with the role the set-up script assigns. */
const EVENT_GRID_V1 = { appid: EVENT_GRID_APP_ID.public, roles: [EVENT_GRID_WEBHOOK_ROLE] };
const EVENT_GRID_V2 = { azp: EVENT_GRID_APP_ID.public, roles: [EVENT_GRID_WEBHOOK_ROLE] };
/** Another application of the same tenant that obtained a token for our audience. */
const OTHER_APP = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";

describe("Event Grid deliveries authenticated with Microsoft Entra tokens", () => {
  it.each([
    ["v1.0 (appid)", EVENT_GRID_V1],
    ["v2.0 (azp)", EVENT_GRID_V2],
  ])("accepts Event Grid's own valid %s token for our audience", async (_name, extra) => {
    const before = stored;
    expect((await deliver(`Bearer ${await issuer.sign({ aud: AUDIENCE, extra })}`)).status).toBe(200);
    expect(stored).toBe(before + 1);
  });

  it.each([
    ["no credentials", async () => undefined],
    [
      "a token for another audience",
      async () => `Bearer ${await issuer.sign({ aud: "api://other", extra: EVENT_GRID_V1 })}`,
    ],
    [
      "an expired token",
      async () => `Bearer ${await issuer.sign({ aud: AUDIENCE, expiresIn: 1, extra: EVENT_GRID_V1 })}`,
    ],
    [
      "a token from another tenant",
      async () =>
        `Bearer ${await issuer.sign({ aud: AUDIENCE, iss: "https://sts.windows.net/other/", extra: EVENT_GRID_V1 })}`,
    ],
    // The caller: any other app of the tenant with a token for our audience must not be able to inject events.
    [
      "another app's token (v1.0 appid), even with the role",
      async () =>
        `Bearer ${await issuer.sign({ aud: AUDIENCE, extra: { appid: OTHER_APP, roles: [EVENT_GRID_WEBHOOK_ROLE] } })}`,
    ],
    [
      "another app's token (v2.0 azp)",
      async () => `Bearer ${await issuer.sign({ aud: AUDIENCE, extra: { azp: OTHER_APP } })}`,
    ],
    ["a token naming no client app", async () => `Bearer ${await issuer.sign({ aud: AUDIENCE })}`],
    [
      "Event Grid's app id without the app role",
      async () => `Bearer ${await issuer.sign({ aud: AUDIENCE, extra: { appid: EVENT_GRID_APP_ID.public } })}`,
    ],
  ])("refuses %s with 401 and stores nothing", async (_name, authorization) => {
    const before = stored;
    expect((await deliver(await authorization())).status).toBe(401);
    expect(stored).toBe(before);
  });
});
