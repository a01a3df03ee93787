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
    ["CallParticipantRemoved", documented.participantRemoved],
    ["CallParticipantRemoved (older endpointType)", documented.participantRemovedOlderShape],
    ["RecordingFileStatusUpdated", documented.recordingFileStatusUpdated],
  ])("%s (Event Grid schema)", (_name, event) => {
    const result = parse([event]);
    expect(result).toMatchObject({ kind: "events", ignored: [] });
    if (result.kind === "events") expect(result.events[0]).toMatchObject({ id: event.id, type: event.eventType });
  });

  it.each([
    ["CallConnected", documented.callConnectedCallback],
    ["RecordingStateChanged", documented.recordingStateChangedCallback],
    ["ParticipantsUpdated", documented.participantsUpdatedCallback],
    ["ParticipantsUpdated (phone and Teams parties)", documented.participantsUpdatedMixedCallback],
  ])("%s callback (CloudEvents array)", (_name, body) => {
    const result = parse(body);
    expect(result).toMatchObject({ kind: "events", events: [{ id: body[0]!.id, type: body[0]!.type }] });
  });

  it("a CallParticipantRemoved keeps who left, their per-join id and the event's time", () => {
    const result = parse([documented.participantRemoved]);
    const event = result.kind === "events" ? result.events[0] : undefined;
    expect(event?.type).toBe("Microsoft.Communication.CallParticipantRemoved");
    if (event?.type !== "Microsoft.Communication.CallParticipantRemoved") return;
    expect(event.time).toBe("2026-11-22T04:05:00Z");
    expect(event.data.user.communicationIdentifier.rawId).toBe("8:acs:r_2");
    expect(event.data).toMatchObject({ participantId: "p-2", userAgent: "agent", serverCallId: "server-call-1" });
  });

  it("a ParticipantsUpdated keeps the whole list, each party's kind and hold state, and the sequence number", () => {
    const result = parse(documented.participantsUpdatedMixedCallback);
    const event = result.kind === "events" ? result.events[0] : undefined;
    if (event?.type !== "Microsoft.Communication.ParticipantsUpdated") return expect.unreachable(String(event?.type));
    expect(event.data.sequenceNumber).toBe(5);
    expect(event.data.callConnectionId).toBe("02002680-af6b-4c7d-a7ff-38ab3f66507d");
    expect(event.data.participants.map((p) => [p.identifier.rawId, p.identifier.kind, p.isOnHold])).toEqual([
      ["8:acs:r_1", "communicationUser", false],
      ["4:+14255550123", "phoneNumber", false],
      ["8:orgid:6f1ad3c2-0b9e-4a5e-9c59-1d1b5c0f7e21", "microsoftTeamsUser", false],
    ]);
  });

  it("a ParticipantsUpdated without a sequence number (optional in the SDK's typings) still parses", () => {
    const [delivery] = documented.participantsUpdatedCallback;
    const { sequenceNumber: _dropped, ...data } = delivery!.data;
    const result = parse([{ ...delivery, data }]);
    expect(result).toMatchObject({ kind: "events", events: [{ id: "pu-1" }] });
  });

  it("an empty participant list is a list (everyone else left our connection)", () => {
    const [delivery] = documented.participantsUpdatedCallback;
    const result = parse([{ ...delivery, data: { ...delivery!.data, participants: [] } }]);
    expect(result).toMatchObject({ kind: "events", events: [{ id: "pu-1" }] });
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
  it("a ParticipantsUpdated without its list", () => {
    const [delivery] = documented.participantsUpdatedCallback;
    const { participants: _dropped, ...data } = delivery!.data;
    rejects([{ ...delivery, data }], 400, "data.participants");
  });
  it("a ParticipantsUpdated entry without an identifier", () => {
    const [delivery] = documented.participantsUpdatedCallback;
    rejects([{ ...delivery, data: { ...delivery!.data, participants: [{ isMuted: false }] } }], 400, "identifier");
  });
  it("a ParticipantsUpdated with a negative sequence number", () => {
    const [delivery] = documented.participantsUpdatedCallback;
    rejects([{ ...delivery, data: { ...delivery!.data, sequenceNumber: -1 } }], 400, "sequenceNumber");
  });
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
