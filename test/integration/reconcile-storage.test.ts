// The storage-account source of reconciliation against Azurite: hourly JSON-lines blobs laid out as Azure
// Monitor's diagnostic settings write them (docs/reconciliation.md), read for a window.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../../scripts/local-stack/services.js";
import { createBlobService } from "../../src/azure/index.js";
import { storageSource } from "../../src/reconcile/index.js";

const RESOURCE =
  "SUBSCRIPTIONS/00000000-0000-0000-0000-000000000001/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.COMMUNICATION/COMMUNICATIONSERVICES/ACS-A";
const OTHER_RESOURCE = RESOURCE.replace("ACS-A", "ACS-B");

let dataDir: string;
let azurite: RunningAzurite;
const service = () => createBlobService({ kind: "key", connectionString: azurite.connectionString });

const callSummary = (correlationId: string, identifier: string, time: string) =>
  JSON.stringify({
    time,
    resourceId: `/${RESOURCE}`,
    correlationId,
    operationName: "CallSummary",
    operationVersion: "1.0",
    category: "CallSummary",
    properties: {
      identifier,
      callStartTime: time,
      callDuration: 60,
      callType: "P2P",
      participantId: "null",
      endpointType: "VoIP",
    },
  });
const recordingSummary = (correlationId: string, recordingId: string, time: string) =>
  JSON.stringify({
    time,
    resourceId: `/${RESOURCE}`,
    operationName: "RecordingSummary",
    category: "CallRecordingSummary",
    properties: {
      CorrelationId: correlationId,
      RecordingId: recordingId,
      RecordingLength: "59.5",
      ChunkCount: 1,
      RecordingEndReason: "CallEnded",
    },
  });

async function put(container: string, resource: string, folder: string, lines: string[]) {
  const client = service().getContainerClient(container);
  await client.createIfNotExists();
  const body = lines.join("\n") + "\n";
  await client.getBlockBlobClient(`resourceId=/${resource}/${folder}PT1H.json`).upload(body, Buffer.byteLength(body));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "reconcile-storage-"));
  azurite = await startAzurite(dataDir);
  await put("insights-logs-callsummary", RESOURCE, "y=2026/m=12/d=04/h=10/m=00/", [
    callSummary("corr-1", "acs:r_alice", "2026-12-04T10:10:00Z"),
    callSummary("corr-1", "acs:r_stranger", "2026-12-04T10:10:01Z"),
    "{truncated",
  ]);
  await put("insights-logs-callsummary", RESOURCE, "y=2026/m=12/d=04/h=11/m=00/", [
    callSummary("corr-2", "acs:r_bob", "2026-12-04T11:05:00Z"),
  ]);
  // Outside the window, and another resource in the same account.
  await put("insights-logs-callsummary", RESOURCE, "y=2026/m=12/d=04/h=13/m=00/", [
    callSummary("corr-late", "acs:r_bob", "2026-12-04T13:05:00Z"),
  ]);
  await put("insights-logs-callsummary", OTHER_RESOURCE, "y=2026/m=12/d=04/h=10/m=00/", [
    callSummary("corr-other", "acs:r_bob", "2026-12-04T10:30:00Z"),
  ]);
  await put("insights-logs-callrecordingsummary", RESOURCE, "y=2026/m=12/d=04/h=11/m=00/", [
    recordingSummary("corr-1", "rec-1", "2026-12-04T11:02:00Z"),
  ]);
});
afterAll(async () => {
  await azurite?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const window = { from: new Date("2026-12-04T10:00:00Z"), to: new Date("2026-12-04T12:00:00Z") };

describe("the storage-account archive as a reconciliation source", () => {
  it("reads both categories' hourly blobs of the window for the resource asked, and names unreadable lines", async () => {
    const read = await storageSource(service(), { resourceId: RESOURCE }).read(window);
    expect(read.records.map((r) => `${r.kind}:${r.correlationId}`).sort()).toEqual([
      "call-summary:corr-1",
      "call-summary:corr-1",
      "call-summary:corr-2",
      "recording-summary:corr-1",
    ]);
    expect(read.records.find((r) => r.kind === "recording-summary")).toMatchObject({
      recordingId: "rec-1",
      chunkCount: 1,
      recordingLengthSeconds: 59.5,
    });
    expect(read.problems).toEqual([
      `insights-logs-callsummary/resourceId=/${RESOURCE}/y=2026/m=12/d=04/h=10/m=00/PT1H.json:3: not JSON`,
    ]);
    expect(read.read).toHaveLength(3);
  });

  it("without a resource id, reads every resource's blobs of the window's hours", async () => {
    const read = await storageSource(service()).read(window);
    const calls = new Set(read.records.map((r) => r.correlationId));
    expect([...calls].sort()).toEqual(["corr-1", "corr-2", "corr-other"]);
  });

  it("says so when a category's container does not exist", async () => {
    const empty = await mkdtemp(join(tmpdir(), "reconcile-empty-"));
    const bare = await startAzurite(empty);
    try {
      const read = await storageSource(
        createBlobService({ kind: "key", connectionString: bare.connectionString }),
      ).read(window);
      expect(read.records).toEqual([]);
      expect(read.problems).toEqual([
        "container insights-logs-callsummary does not exist (no CallSummary record archived yet?)",
        "container insights-logs-callrecordingsummary does not exist (no CallRecordingSummary record archived yet?)",
      ]);
    } finally {
      await bare.stop();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
