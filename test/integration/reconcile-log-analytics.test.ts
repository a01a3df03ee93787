// The Log Analytics source of reconciliation through the real @azure/monitor-query-logs client, against a local
// fake answering the Log Analytics query REST shape (no emulator exists): POST /v1/workspaces/{id}/query with
// { query, timespan }, answered { tables: [{ name, columns: [{ name, type }], rows }] }
// (https://learn.microsoft.com/rest/api/loganalytics/dataaccess/query/execute).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createDefaultHttpClient, type HttpClient } from "@azure/core-rest-pipeline";
import { LogsQueryClient } from "@azure/monitor-query-logs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { logAnalyticsSource } from "../../src/reconcile/index.js";

const WORKSPACE = "63613592-b6f7-4c3d-a390-22ba13102111";
interface Seen {
  path: string;
  authorization: string | undefined;
  body: { query: string; timespan?: string };
}
const seen: Seen[] = [];
let answer: (query: string) => { status: number; body: unknown };
let server: Server;
let port: number;

const callSummaryTable = {
  name: "PrimaryResult",
  columns: [
    { name: "TimeGenerated", type: "datetime" },
    { name: "CorrelationId", type: "string" },
    { name: "Identifier", type: "string" },
    { name: "ParticipantId", type: "string" },
    { name: "EndpointType", type: "string" },
    { name: "CallStartTime", type: "datetime" },
    { name: "CallDuration", type: "long" },
  ],
  rows: [
    ["2026-12-04T10:20:00Z", "corr-1", "acs:r_alice", null, "VoIP", "2026-12-04T10:00:00Z", 120],
    ["2026-12-04T10:20:00Z", "corr-1", "acs:r_stranger", null, "VoIP", "2026-12-04T10:00:01Z", 119],
  ],
};
const recordingTable = {
  name: "PrimaryResult",
  columns: [
    { name: "TimeGenerated", type: "datetime" },
    { name: "CorrelationId", type: "string" },
    { name: "RecordingId", type: "string" },
    { name: "RecordingStartTime", type: "datetime" },
    { name: "RecordingLength", type: "real" },
    { name: "ChunkCount", type: "int" },
    { name: "RecordingEndReason", type: "string" },
  ],
  rows: [["2026-12-04T10:25:00Z", "corr-1", "rec-1", "2026-12-04T10:00:03Z", 116.4, 2, "CallEnded"]],
};

/** Sends what the SDK addresses to Log Analytics (https only: its bearer-token policy refuses http) to the fake. */
function toFake(): HttpClient {
  const inner = createDefaultHttpClient();
  return {
    sendRequest(request) {
      const url = new URL(request.url);
      url.protocol = "http:";
      url.host = `127.0.0.1:${port}`;
      request.url = url.toString();
      request.allowInsecureConnection = true;
      return inner.sendRequest(request);
    },
  };
}

const client = () =>
  new LogsQueryClient(
    { getToken: async () => ({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) },
    { httpClient: toFake(), retryOptions: { maxRetries: 0 } },
  );

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => {
      const body = JSON.parse(text) as Seen["body"];
      seen.push({ path: request.url ?? "", authorization: request.headers.authorization, body });
      const { status, body: reply } = answer(body.query);
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const window = { from: new Date("2026-12-04T10:00:00Z"), to: new Date("2026-12-04T12:00:00Z") };

describe("the Log Analytics workspace as a reconciliation source", () => {
  it("queries both tables for the window with a bearer token and reads their rows as records", async () => {
    seen.length = 0;
    answer = (query) => ({
      status: 200,
      body: { tables: [query.startsWith("ACSCallSummary") ? callSummaryTable : recordingTable] },
    });
    const read = await logAnalyticsSource(client(), WORKSPACE).read(window);
    expect(seen.map((s) => s.path)).toEqual([`/v1/workspaces/${WORKSPACE}/query`, `/v1/workspaces/${WORKSPACE}/query`]);
    expect(seen.every((s) => s.authorization === "Bearer test-token")).toBe(true);
    expect(seen.map((s) => s.body.query.split(" ")[0])).toEqual(["ACSCallSummary", "ACSCallRecordingSummary"]);
    expect(seen[0]!.body.timespan).toBe("2026-12-04T10:00:00.000Z/2026-12-04T12:00:00.000Z");
    expect(read.problems).toEqual([]);
    expect(read.records).toEqual([
      {
        kind: "call-summary",
        correlationId: "corr-1",
        identifier: "acs:r_alice",
        participantId: undefined,
        endpointType: "VoIP",
        callStartTime: "2026-12-04T10:00:00.000Z",
        callDurationSeconds: 120,
      },
      expect.objectContaining({ kind: "call-summary", identifier: "acs:r_stranger" }),
      {
        kind: "recording-summary",
        correlationId: "corr-1",
        recordingId: "rec-1",
        recordingStartTime: "2026-12-04T10:00:03.000Z",
        recordingLengthSeconds: 116.4,
        chunkCount: 2,
        endReason: "CallEnded",
      },
    ]);
  });

  it("reports a partial answer and rows it cannot read, so the run alerts", async () => {
    answer = (query) =>
      query.startsWith("ACSCallSummary")
        ? {
            status: 200,
            body: {
              tables: [
                { ...callSummaryTable, rows: [["2026-12-04T10:20:00Z", null, "acs:r_alice", null, "VoIP", null, 1]] },
              ],
              error: { code: "PartialError", message: "Query result exceeded the limit" },
            },
          }
        : { status: 200, body: { tables: [recordingTable] } };
    const read = await logAnalyticsSource(client(), WORKSPACE).read(window);
    expect(read.problems).toEqual([
      "CallSummary: partial result: PartialError: Query result exceeded the limit",
      expect.stringMatching(/^CallSummary row 1: CallSummary: correlationId/),
    ]);
    expect(read.records.map((r) => r.kind)).toEqual(["recording-summary"]);
  });

  it("fails loudly when the workspace refuses the query", async () => {
    answer = () => ({ status: 403, body: { error: { code: "InsufficientAccessError", message: "no access" } } });
    await expect(logAnalyticsSource(client(), WORKSPACE).read(window)).rejects.toThrow(/no access|InsufficientAccess/);
  });
});
