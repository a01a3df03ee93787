import { describe, expect, it } from "vitest";
import * as documented from "../../test/fixtures/documented-events.js";
import { ACS_RECORDING_HOST_SUFFIXES } from "../config/index.js";
import { parseDelivery } from "./parse.js";
import { parseRecordingSubject } from "./subject.js";

// Padded base64 serverCallIds as ACS sends them: '/', '+' and '=' included.
const SERVER_CALL = "aHR0cHM6Ly9hcGkuZmxp/Z2h0cHJveHk+c2t5cGUuY29t/YXBpL3YyL2NwL2NvbnYtMDE=";
const SLASHES = "L2EvYi9j/ZA+/+/==";
const CALL = "36cf910b-932c-4101-a443-04e11a98aba5";
const RECORDING = "eyJQbGF0Zm9ybUVuZHBvaW50SWQiOiI0NDFmMTIwMC1lNjk0In0";

describe("parseRecordingSubject", () => {
  it.each([
    ["form 1: call id only", `/recording/call/${CALL}`, { callId: CALL }],
    [
      "form 2: call id and serverCallId",
      `/recording/call/${CALL}/serverCallId/${SERVER_CALL}`,
      { callId: CALL, serverCallId: SERVER_CALL },
    ],
    [
      "form 3: call id, serverCallId and recordingId",
      `/recording/call/${CALL}/serverCallId/${SERVER_CALL}/recordingId/${RECORDING}`,
      { callId: CALL, serverCallId: SERVER_CALL, recordingId: RECORDING },
    ],
    [
      "form 4: call id and recordingId",
      `/recording/call/${CALL}/recordingId/${RECORDING}`,
      { callId: CALL, recordingId: RECORDING },
    ],
    [
      "form 2 with a serverCallId of slashes, pluses and padding",
      `/recording/call/${CALL}/serverCallId/${SLASHES}`,
      { callId: CALL, serverCallId: SLASHES },
    ],
    [
      "form 3 with a serverCallId of slashes, pluses and padding",
      `/recording/call/${CALL}/serverCallId/${SLASHES}/recordingId/${RECORDING}`,
      { callId: CALL, serverCallId: SLASHES, recordingId: RECORDING },
    ],
    [
      "form 3 whose serverCallId itself reads /recordingId/",
      `/recording/call/${CALL}/serverCallId/ab/recordingId/c+d=/recordingId/${RECORDING}`,
      { callId: CALL, serverCallId: "ab/recordingId/c+d=", recordingId: RECORDING },
    ],
    [
      "the undocumented /recording/call/{serverCallId}/recordingId/… is read as a call id, not a serverCallId",
      `/recording/call/${SERVER_CALL}/recordingId/${RECORDING}`,
      { callId: SERVER_CALL, recordingId: RECORDING },
    ],
  ])("%s", (_name, subject, expected) => {
    expect(parseRecordingSubject(subject)).toEqual(expected);
  });

  it.each([
    ["another event's subject", "call/abc/startedBy/x"],
    ["no call id", "/recording/call/"],
    ["an empty call id", "/recording/call//recordingId/r"],
    ["an empty serverCallId", `/recording/call/${CALL}/serverCallId/`],
    ["an empty serverCallId before a recordingId", `/recording/call/${CALL}/serverCallId//recordingId/r`],
    ["an empty recordingId", `/recording/call/${CALL}/serverCallId/${SERVER_CALL}/recordingId/`],
  ])("nothing from %s", (_name, subject) => {
    expect(parseRecordingSubject(subject)).toBeUndefined();
  });
});

describe("a RecordingFileStatusUpdated in either delivery schema, in every form, names its recording", () => {
  const base = documented.recordingFileStatusUpdated;
  // The CloudEvents 1.0 variant: source is the resource, subject as in the Event Grid schema.
  const cloudEvent = (event: typeof base & { subject: string }) => ({
    id: event.id,
    source: event.topic,
    specversion: "1.0",
    type: event.eventType,
    subject: event.subject,
    time: event.eventTime,
    datacontenttype: "application/json",
    data: event.data,
  });
  const forms = [
    [`/recording/call/${CALL}`, {}, { callId: CALL }],
    [`/recording/call/${CALL}/serverCallId/${SLASHES}`, {}, { callId: CALL, serverCallId: SLASHES }],
    [
      `/recording/call/${CALL}/serverCallId/${SLASHES}`,
      { recordingId: RECORDING, storageType: "acsstorage" },
      { callId: CALL, serverCallId: SLASHES, dataRecordingId: RECORDING },
    ],
    [
      `/recording/call/${CALL}/serverCallId/${SLASHES}/recordingId/${RECORDING}`,
      {},
      { callId: CALL, serverCallId: SLASHES, recordingId: RECORDING },
    ],
    [`/recording/call/${CALL}/recordingId/${RECORDING}`, {}, { callId: CALL, recordingId: RECORDING }],
  ] as const;
  it.each(
    forms.flatMap(([subject, extra, expected]) =>
      (["Event Grid", "CloudEvents"] as const).map((schema) => [schema, subject, extra, expected] as const),
    ),
  )("%s: %s", (schema, subject, extra, expected) => {
    const event = { ...base, subject, data: { ...base.data, ...extra } };
    const parsed = parseDelivery(schema === "Event Grid" ? [event] : cloudEvent(event), {
      recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES,
    });
    if (parsed.kind !== "events") throw new Error("not parsed as events");
    const [received] = parsed.events;
    if (received?.type !== "Microsoft.Communication.RecordingFileStatusUpdated") throw new Error("wrong type");
    const { dataRecordingId, ...fromSubject } = { dataRecordingId: undefined, ...expected };
    expect(parseRecordingSubject(received.subject)).toEqual(fromSubject);
    expect(received.data.recordingId).toBe(dataRecordingId);
  });
});
