import { describe, expect, it } from "vitest";
import * as documented from "../../test/fixtures/documented-events.js";
import { ACS_RECORDING_HOST_SUFFIXES } from "../config/index.js";
import { IntakeError } from "./errors.js";
import { parseDelivery } from "./parse.js";

const options = { recordingHostSuffixes: ACS_RECORDING_HOST_SUFFIXES };
const parse = (body: unknown) => parseDelivery(body, options);

function rejects(body: unknown, status: number, message: string) {
  try {
    parse(body);
    expect.unreachable("should have been refused");
  } catch (error) {
    expect(error).toBeInstanceOf(IntakeError);
    expect((error as IntakeError).status).toBe(status);
    expect((error as IntakeError).message).toContain(message);
  }
}

describe("parseDelivery: every documented payload parses", () => {
  it.each([
    ["IncomingCall", documented.incomingCall],
    ["CallStarted", documented.callStarted],
    ["CallStarted (older startedBy)", documented.callStartedOlderShape],
    ["CallEnded", documented.callEnded],
    ["CallEnded (durationOfCall)", documented.callEndedOlderShape],
    ["CallParticipantAdded", documented.participantAdded],
    ["RecordingFileStatusUpdated", documented.recordingFileStatusUpdated],
  ])("%s (Event Grid schema)", (_name, event) => {
    const result = parse([event]);
    expect(result).toMatchObject({ kind: "events", ignored: [] });
    if (result.kind === "events") expect(result.events[0]).toMatchObject({ id: event.id, type: event.eventType });
  });

  it.each([
    ["CallConnected", documented.callConnectedCallback],
    ["RecordingStateChanged", documented.recordingStateChangedCallback],
  ])("%s callback (CloudEvents array)", (_name, body) => {
    const result = parse(body);
    expect(result).toMatchObject({ kind: "events", events: [{ id: body[0]!.id, type: body[0]!.type }] });
  });

  it("a single CloudEvent (not an array) is a batch of one", () => {
    const result = parse(documented.callConnectedCallback[0]);
    expect(result.kind === "events" && result.events).toHaveLength(1);
  });

  it("the subscription validation event yields its code", () => {
    expect(parse([documented.subscriptionValidation])).toEqual({
      kind: "validation",
      validationCode: "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
    });
  });

  it("unknown event types are accepted and listed as ignored", () => {
    const other = {
      ...documented.callStarted,
      id: "x",
      eventType: "Microsoft.Communication.ChatMessageReceived",
      data: {},
    };
    expect(parse([other, documented.callStarted])).toMatchObject({
      kind: "events",
      events: [{ id: "started-1" }],
      ignored: [{ id: "x", type: "Microsoft.Communication.ChatMessageReceived" }],
    });
  });
});

describe("parseDelivery: bad input is refused with the field named", () => {
  it("an empty array", () => rejects([], 400, "empty"));
  it("a missing envelope field", () => rejects([{ ...documented.callStarted, id: undefined }], 400, "[0].id"));
  it("a missing data field", () =>
    rejects(
      [{ ...documented.incomingCall, data: { ...documented.incomingCall.data, serverCallId: undefined } }],
      400,
      "data.serverCallId",
    ));
  it("a wrong enum value", () =>
    rejects(
      [
        {
          ...documented.recordingFileStatusUpdated,
          data: { ...documented.recordingFileStatusUpdated.data, recordingChannelType: "mixed" },
        },
      ],
      400,
      "recordingChannelType",
    ));
  it("one bad event rejects the whole batch", () => rejects([documented.callStarted, { nonsense: true }], 400, "[1]"));

  const withContentLocation = (contentLocation: string) => [
    {
      ...documented.recordingFileStatusUpdated,
      data: {
        ...documented.recordingFileStatusUpdated.data,
        recordingStorageInfo: {
          recordingChunks: [
            { ...documented.recordingFileStatusUpdated.data.recordingStorageInfo.recordingChunks[0]!, contentLocation },
          ],
        },
      },
    },
  ];
  it.each([
    "http://169.254.169.254/latest/meta-data",
    "https://evil.example/v1/objects/x/content/audio",
    "https://storage.asm.skype.com.evil.example/x",
    "http://storage.asm.skype.com/v1/objects/x",
    "https://storage.asm.skype.com:8443/v1/objects/x",
    "not a url",
  ])("a recording URL off the allowlist: %s", (url) =>
    rejects(withContentLocation(url), 400, "contentLocation: host not allowed"),
  );
});
