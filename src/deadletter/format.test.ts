import { describe, expect, it } from "vitest";
import { parseDeadLetterBlob, recordingLikelyExpired } from "./format.js";

const eventGridLetter = {
  id: "e1",
  topic: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/acs",
  subject: "/recording/call/c1/recordingId/r1",
  eventType: "Microsoft.Communication.RecordingFileStatusUpdated",
  eventTime: "2026-01-01T10:00:00Z",
  dataVersion: "1.0",
  metadataVersion: "1",
  data: { recordingStorageInfo: { recordingChunks: [] } },
  deadLetterReason: "MaxDeliveryAttemptsExceeded",
  deliveryAttempts: 30,
  lastDeliveryOutcome: "TimedOut",
  lastHttpStatusCode: 0,
  publishTime: "2026-01-01T10:00:01Z",
  lastDeliveryAttemptTime: "2026-01-02T09:59:00Z",
};
const cloudLetter = {
  id: "e2",
  specversion: "1.0",
  source: "/subscriptions/s/…/acs",
  type: "Microsoft.Communication.CallEnded",
  time: "2026-01-01T10:00:00Z",
  subject: "call/c1",
  data: { serverCallId: "c1" },
  deadletterreason: "TimeToLiveExceeded",
  deliveryattempts: 12,
  lastdeliveryoutcome: "Probation",
  publishtime: "2026-01-01T10:00:01Z",
  lastdeliveryattempttime: "2026-01-02T09:00:00Z",
};

describe("parseDeadLetterBlob", () => {
  it("gives back each event as published, without Event Grid's dead-letter fields (both schemas)", () => {
    const letters = parseDeadLetterBlob(JSON.stringify([eventGridLetter, cloudLetter]));
    expect(letters.map(({ id, type, schema, time, reason }) => ({ id, type, schema, time, reason }))).toEqual([
      {
        id: "e1",
        type: "Microsoft.Communication.RecordingFileStatusUpdated",
        schema: "eventgrid",
        time: "2026-01-01T10:00:00Z",
        reason: "MaxDeliveryAttemptsExceeded",
      },
      {
        id: "e2",
        type: "Microsoft.Communication.CallEnded",
        schema: "cloudevents",
        time: "2026-01-01T10:00:00Z",
        reason: "TimeToLiveExceeded",
      },
    ]);
    expect(Object.keys(letters[0]!.event).sort()).toEqual(
      ["data", "dataVersion", "eventTime", "eventType", "id", "metadataVersion", "subject", "topic"].sort(),
    );
    expect(Object.keys(letters[1]!.event).sort()).toEqual(
      ["data", "id", "source", "specversion", "subject", "time", "type"].sort(),
    );
  });

  it.each([
    ["not JSON", "{", /not JSON/],
    ["an object", JSON.stringify(eventGridLetter), /not an array/],
    ["an empty array", "[]", /not an array/],
    ["events without ids", JSON.stringify([{ eventType: "x" }]), /not an array/],
  ])("refuses %s", (_what, body, message) => {
    expect(() => parseDeadLetterBlob(body)).toThrow(message);
  });
});

describe("recordingLikelyExpired", () => {
  const [recording, ended] = parseDeadLetterBlob(JSON.stringify([eventGridLetter, cloudLetter]));
  it.each([
    ["a recording 23 h old", recording!, "2026-01-02T09:00:00Z", false],
    ["a recording 25 h old", recording!, "2026-01-02T11:00:00Z", true],
    ["another event type, however old", ended!, "2026-02-01T00:00:00Z", false],
  ])("%s → %s", (_what, letter, now, expired) => {
    expect(recordingLikelyExpired(letter, new Date(now))).toBe(expired);
  });
});
