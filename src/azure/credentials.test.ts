// Which credential each Azure client uses, and that the Entra path really sends a Microsoft Entra token. There is
// no Azure to reach here: a fake TokenCredential stands in for DefaultAzureCredential, and in-process HTTP
// clients stand in for the network (docs/identity.md "How it is tested").
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { createHttpHeaders, type HttpClient, type PipelineRequest } from "@azure/core-rest-pipeline";
import type { HttpHeaders, IHttpClient, WebResource } from "@azure/storage-blob";
import { describe, expect, it } from "vitest";
import { createCallAutomationClient } from "../acs/index.js";
import { ConfigError, loadConfig } from "../config/index.js";
import { createSasMinter } from "../retrieval/sas.js";
import { acsAccess, blobAccess, createBlobService } from "./credentials.js";

const base = {
  PUBLIC_BASE_URL: "https://recorder.example.com",
  ACS_RESOURCE_ID: "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10",
  REDIS_URL: "redis://127.0.0.1:6379",
  EVENTGRID_SECRET: "s1",
};
const ACS_KEY = "endpoint=https://acs.example.communication.azure.com/;accesskey=a2V5";
const ACS_ENDPOINT = "https://acs.example.communication.azure.com";
const BLOB_KEY =
  "DefaultEndpointsProtocol=https;AccountName=archive;AccountKey=a2V5a2V5a2V5a2V5;EndpointSuffix=core.windows.net";
const BLOB_URL = "https://archive.blob.core.windows.net";

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    loadConfig({ ...base, ...env });
    return "";
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.join("\n");
    throw error;
  }
}

describe("which credential each Azure service is reached with (configuration)", () => {
  it.each([
    ["keys for both", { ACS_CONNECTION_STRING: ACS_KEY, BLOB_CONNECTION_STRING: BLOB_KEY }, "key", "key"],
    ["Entra for both", { ACS_ENDPOINT, BLOB_ACCOUNT_URL: BLOB_URL }, "entra", "entra"],
    ["Entra for Blob, a key for ACS", { ACS_CONNECTION_STRING: ACS_KEY, BLOB_ACCOUNT_URL: BLOB_URL }, "key", "entra"],
    ["Entra for ACS, a key for Blob", { ACS_ENDPOINT, BLOB_CONNECTION_STRING: BLOB_KEY }, "entra", "key"],
  ])("%s", (_name, env, acs, blob) => {
    const config = loadConfig({ ...base, ...env });
    expect(acsAccess(config).kind).toBe(acs);
    expect(blobAccess(config).kind).toBe(blob);
    expect(acsAccess(config).endpoint).toMatch(/^https:\/\/acs\.example\.communication\.azure\.com/);
  });

  it.each([
    ["neither ACS setting", { BLOB_CONNECTION_STRING: BLOB_KEY }, "ACS_CONNECTION_STRING or ACS_ENDPOINT is required"],
    ["neither Blob setting", { ACS_ENDPOINT }, "BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL is required"],
    [
      "both ACS settings",
      { ACS_CONNECTION_STRING: ACS_KEY, ACS_ENDPOINT, BLOB_ACCOUNT_URL: BLOB_URL },
      "set ACS_CONNECTION_STRING or ACS_ENDPOINT, not both",
    ],
    [
      "both Blob settings",
      { ACS_ENDPOINT, BLOB_CONNECTION_STRING: BLOB_KEY, BLOB_ACCOUNT_URL: BLOB_URL },
      "set BLOB_CONNECTION_STRING or BLOB_ACCOUNT_URL, not both",
    ],
    ["a Blob URL over http", { ACS_ENDPOINT, BLOB_ACCOUNT_URL: "http://archive.example" }, "BLOB_ACCOUNT_URL: must be"],
    ["an ACS endpoint over http", { ACS_ENDPOINT: "http://acs.example", BLOB_ACCOUNT_URL: BLOB_URL }, "ACS_ENDPOINT:"],
    [
      "the simulator with an Entra endpoint",
      { ACS_ENDPOINT, BLOB_ACCOUNT_URL: BLOB_URL, ACS_LOCAL_SIMULATOR_URL: "http://127.0.0.1:8480" },
      "ACS_LOCAL_SIMULATOR_URL needs ACS_CONNECTION_STRING",
    ],
    [
      "http SAS URLs in production",
      { ACS_ENDPOINT, BLOB_ACCOUNT_URL: BLOB_URL, NODE_ENV: "production", BLOB_SAS_ALLOW_HTTP: "true" },
      "BLOB_SAS_ALLOW_HTTP must not be set when NODE_ENV=production",
    ],
  ])("refuses %s, naming the variables", (_name, env, message) => {
    expect(problemsOf(env)).toContain(message);
  });
});

/** A TokenCredential that hands out a fixed token and records the scopes asked for. */
function fakeCredential(): TokenCredential & { scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    async getToken(scope: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      scopes.push(...(Array.isArray(scope) ? scope : [scope]));
      return { token: "fake-entra-token", expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
}

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
}

/** Storage's (core-http style) HTTP client: answers every request with `answer`, recording what was sent. */
function fakeStorageHttp(answer: (request: WebResource) => { status: number; body?: string; contentType?: string }) {
  const seen: Seen[] = [];
  const client: IHttpClient = {
    async sendRequest(request) {
      seen.push({ method: request.method, url: request.url, authorization: request.headers.get("authorization") });
      const { status, body, contentType } = answer(request);
      const headers = createHttpHeaders({
        "x-ms-request-id": "r-1",
        "x-ms-version": "2025-01-05",
        ...(contentType ? { "content-type": contentType } : {}),
      });
      const headersLike = {
        toJson: () => headers.toJSON({ preserveCase: true }),
        get: (name: string) => headers.get(name),
        contains: (name: string) => headers.has(name),
        rawHeaders: () => headers.toJSON(),
        headersArray: () => [...headers].map(([name, value]) => ({ name, value })),
        headerNames: () => [...headers].map(([name]) => name),
        headerValues: () => [...headers].map(([, value]) => value),
        set: (name: string, value: string | number) => headers.set(name, value),
        remove: (name: string) => {
          const had = headers.has(name);
          headers.delete(name);
          return had;
        },
        clone() {
          return headersLike;
        },
      } as unknown as HttpHeaders;
      return { request, status, headers: headersLike, ...(body !== undefined ? { bodyAsText: body } : {}) };
    },
  };
  return { client, seen };
}

/** Call Automation's (core-rest-pipeline) HTTP client, the same way. */
function fakeAcsHttp(answer: (request: PipelineRequest) => { status: number; body: string }) {
  const seen: Seen[] = [];
  const client: HttpClient = {
    async sendRequest(request) {
      seen.push({ method: request.method, url: request.url, authorization: request.headers.get("authorization") });
      const { status, body } = answer(request);
      return {
        request,
        status,
        headers: createHttpHeaders({ "content-type": "application/json" }),
        bodyAsText: body,
      };
    },
  };
  return { client, seen };
}

describe("the Entra path builds clients that authenticate with the token credential", () => {
  it("Blob: requests carry the credential's bearer token for Azure Storage's scope", async () => {
    const credential = fakeCredential();
    const http = fakeStorageHttp(() => ({ status: 200 }));
    const service = createBlobService({ kind: "entra", accountUrl: BLOB_URL }, { credential, httpClient: http.client });
    await service.getContainerClient("recordings").getProperties();
    expect(http.seen).toEqual([
      {
        method: "GET",
        url: expect.stringMatching(/^https:\/\/archive\.blob\.core\.windows\.net\/recordings\?/),
        authorization: "Bearer fake-entra-token",
      },
    ]);
    expect(credential.scopes).toEqual(["https://storage.azure.com/.default"]);
  });

  it("Blob with a key: no token is asked for; requests are signed with the key (SharedKey)", async () => {
    const credential = fakeCredential();
    const http = fakeStorageHttp(() => ({ status: 200 }));
    const service = createBlobService(
      { kind: "key", connectionString: BLOB_KEY },
      { credential, httpClient: http.client },
    );
    await service.getContainerClient("recordings").getProperties();
    expect(http.seen[0]?.authorization).toMatch(/^SharedKey archive:/);
    expect(credential.scopes).toEqual([]);
  });

  it("Call Automation: requests to ACS_ENDPOINT carry the credential's bearer token for ACS's scope", async () => {
    const credential = fakeCredential();
    const http = fakeAcsHttp(() => ({
      status: 200,
      body: JSON.stringify({ callConnectionId: "conn-1", serverCallId: "call-1", callConnectionState: "connected" }),
    }));
    const config = loadConfig({ ...base, ACS_ENDPOINT, BLOB_ACCOUNT_URL: BLOB_URL });
    const client = createCallAutomationClient(config, { credential, httpClient: http.client });
    const properties = await client.getCallConnection("conn-1").getCallConnectionProperties();
    expect(properties.callConnectionId).toBe("conn-1");
    expect(http.seen).toHaveLength(1);
    expect(http.seen[0]).toMatchObject({
      method: "GET",
      url: expect.stringMatching(
        /^https:\/\/acs\.example\.communication\.azure\.com\/calling\/callConnections\/conn-1/,
      ),
      authorization: "Bearer fake-entra-token",
    });
    expect(credential.scopes).toEqual(["https://communication.azure.com//.default"]);
  });
});

/** A Get User Delegation Key answer ("Get User Delegation Key", learn.microsoft.com/rest/api/storageservices). */
const USER_DELEGATION_KEY = `<?xml version="1.0" encoding="utf-8"?>
<UserDelegationKey>
  <SignedOid>0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d</SignedOid>
  <SignedTid>00000000-0000-0000-0000-00000000cafe</SignedTid>
  <SignedStart>2026-11-22T09:55:00Z</SignedStart>
  <SignedExpiry>2026-11-22T16:00:00Z</SignedExpiry>
  <SignedService>b</SignedService>
  <SignedVersion>2025-01-05</SignedVersion>
  <Value>${Buffer.from("a user delegation key of 32 bytes").toString("base64")}</Value>
</UserDelegationKey>`;

describe("SAS URLs (play's sasUrl)", () => {
  const now = () => new Date("2026-11-22T10:00:00Z");
  const expiresOn = new Date("2026-11-22T10:05:00Z");

  it("with Entra: a user delegation SAS (key asked for once, then reused), https only", async () => {
    const credential = fakeCredential();
    const http = fakeStorageHttp((request) =>
      request.url.includes("comp=userdelegationkey")
        ? { status: 200, body: USER_DELEGATION_KEY, contentType: "application/xml" }
        : { status: 404 },
    );
    const service = createBlobService({ kind: "entra", accountUrl: BLOB_URL }, { credential, httpClient: http.client });
    const sas = createSasMinter(service, service.getContainerClient("recordings"), { allowHttp: false, now });
    const url = new URL(await sas.readUrl("team/rec-1/chunk-0.wav", expiresOn));
    await sas.readUrl("team/rec-1/chunk-1.wav", expiresOn);

    expect(`${url.origin}${url.pathname}`).toBe(`${BLOB_URL}/recordings/team/rec-1/chunk-0.wav`);
    expect(url.searchParams.get("spr")).toBe("https");
    expect(url.searchParams.get("sp")).toBe("r");
    expect(url.searchParams.get("skoid")).toBe("0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d");
    expect(url.searchParams.get("sig")).toBeTruthy();
    expect(http.seen.map((r) => r.method)).toEqual(["POST"]);
    expect(http.seen[0]).toMatchObject({ authorization: "Bearer fake-entra-token" });
  });

  it.each([
    [false, "https"],
    [true, "https,http"],
  ])("with an account key, allowHttp %s: spr=%s", async (allowHttp, protocol) => {
    const service = createBlobService({ kind: "key", connectionString: BLOB_KEY });
    const sas = createSasMinter(service, service.getContainerClient("recordings"), { allowHttp, now });
    const url = new URL(await sas.readUrl("team/rec-1/chunk-0.wav", expiresOn));
    expect(url.searchParams.get("spr")).toBe(protocol);
    expect(url.searchParams.get("sp")).toBe("r");
  });
});
