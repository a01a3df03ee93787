import { describe, expect, it } from "vitest";
import { parseJsonLines, parseRecord, rawIdsOfIdentifier } from "./records.js";

// Shapes from Microsoft's samples (docs/reconciliation.md): the storage archive's envelope with camelCase
// `properties`, string "null" for absent values, numbers written as strings; and Log Analytics' PascalCase columns.

const callSummaryLine = {
  time: "2026-12-04T10:20:00.000Z",
  resourceId: "/SUBSCRIPTIONS/S/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMMUNICATION/COMMUNICATIONSERVICES/ACS",
  correlationId: "corr-1",
  operationName: "CallSummary",
  operationVersion: "1.0",
  category: "CallSummary",
  properties: {
    identifier: "acs:r_alice",
    callStartTime: "2026-12-04T10:00:00.000Z",
    callDuration: 120,
    callType: "P2P",
    participantId: "null",
    participantDuration: "118",
    endpointType: "VoIP",
    sdkVersion: "1.0.1.0",
    someFieldAddedLater: { nested: true },
  },
};

const recordingSummaryLine = {
  time: "2026-12-04T10:25:00.000Z",
  category: "CallRecordingSummary",
  properties: {
    TimeGenerated: "2026-12-04T10:25:00.000Z",
    CorrelationId: "corr-1",
    RecordingId: "rec-1",
    RecordingEndReason: "CallEnded",
    RecordingStartTime: "2026-12-04T10:00:05.0000000Z",
    RecordingLength: "114.5",
    ChunkCount: 2,
    ContentType: "Audio",
  },
};

describe("parseRecord", () => {
  it("reads a call summary from the storage envelope, tolerating unknown fields and string nulls", () => {
    expect(parseRecord(callSummaryLine)).toEqual({
      record: {
        kind: "call-summary",
        correlationId: "corr-1",
        identifier: "acs:r_alice",
        participantId: undefined,
        endpointType: "VoIP",
        callStartTime: "2026-12-04T10:00:00.000Z",
        callDurationSeconds: 120,
      },
    });
  });

  it("reads a recording summary with PascalCase fields and a length written as a string", () => {
    expect(parseRecord(recordingSummaryLine)).toEqual({
      record: {
        kind: "recording-summary",
        correlationId: "corr-1",
        recordingId: "rec-1",
        recordingStartTime: "2026-12-04T10:00:05.0000000Z",
        recordingLengthSeconds: 114.5,
        chunkCount: 2,
        endReason: "CallEnded",
      },
    });
  });

  it("reads a Log Analytics row when told its table's category", () => {
    const row = { CorrelationId: "corr-2", RecordingId: "rec-2", RecordingLength: 30, ChunkCount: 1 };
    const parsed = parseRecord(row, "CallRecordingSummary");
    expect(parsed).toMatchObject({ record: { correlationId: "corr-2", chunkCount: 1, recordingLengthSeconds: 30 } });
  });

  it.each([
    [
      "a call summary without correlationId",
      { category: "CallSummary", properties: { identifier: "acs:x" } },
      /correlationId/,
    ],
    [
      "a recording summary whose ChunkCount is not a number",
      {
        category: "CallRecordingSummary",
        properties: { CorrelationId: "c", RecordingId: "r", RecordingLength: 1, ChunkCount: "many" },
      },
      /chunkCount/,
    ],
    [
      "a recording summary without RecordingLength",
      { category: "CallRecordingSummary", properties: { CorrelationId: "c", RecordingId: "r", ChunkCount: 1 } },
      /recordingLength/,
    ],
    ["a correlationId written as the string null", { category: "CallSummary", correlationId: "null" }, /correlationId/],
  ])("is strict on what we use: %s", (_name, raw, message) => {
    const parsed = parseRecord(raw);
    expect(parsed).toHaveProperty("problem");
    expect((parsed as { problem: string }).problem).toMatch(message);
  });

  it("ignores categories it does not reconcile", () => {
    expect(parseRecord({ category: "CallDiagnostics", properties: {} })).toEqual({
      ignored: "category CallDiagnostics",
    });
  });
});

describe("parseJsonLines", () => {
  it("reads one record a line, skips blank lines, and names the line of anything unreadable", () => {
    const text = [JSON.stringify(callSummaryLine), "", "{not json", JSON.stringify(recordingSummaryLine), ""].join(
      "\n",
    );
    const { records, problems } = parseJsonLines(text, "PT1H.json");
    expect(records.map((r) => r.kind)).toEqual(["call-summary", "recording-summary"]);
    expect(problems).toEqual(["PT1H.json:3: not JSON"]);
  });
});

describe("rawIdsOfIdentifier", () => {
  it.each([
    ["acs:r_alice", ["8:acs:r_alice"]],
    ["8:acs:r_alice", ["8:acs:r_alice"]],
    ["1e4c59e1-0000-49bc-893d-990d0000f9f5", ["8:orgid:1e4c59e1-0000-49bc-893d-990d0000f9f5"]],
    ["4:+442071234567", ["4:+442071234567"]],
    [undefined, []],
  ])("%s → %j", (identifier, rawIds) => {
    expect(rawIdsOfIdentifier(identifier)).toEqual(rawIds);
  });
});
