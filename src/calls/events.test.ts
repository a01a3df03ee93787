import { describe, expect, it } from "vitest";
import type { AcsEvent } from "../intake/schemas.js";
import type { FactUpdate } from "../sessions/index.js";
import { factsOfEvent, presenceOfEvent, recordingUpdateOf } from "./events.js";

const ids = { serverCallId: "call-1", correlationId: "corr-1" };
const user = (id: string) => ({
  rawId: `8:acs:${id}`,
  kind: "communicationUser",
  communicationUser: { id: `8:acs:${id}` },
});
const at = "2026-01-01T10:00:00.000Z";
const received = "2026-01-01T10:00:00.250Z";
const participantsUpdated = {
  callConnectionId: "conn-1",
  sequenceNumber: 5,
  participants: [
    { identifier: user("bob") },
    { identifier: { rawId: "4:+442071110002", kind: "phoneNumber", phoneNumber: { value: "+442071110002" } } },
    { identifier: user("alice"), isMuted: true },
    { identifier: user("bob") },
  ],
};
const eventOf = (type: AcsEvent["type"], data: object): AcsEvent =>
  ({ id: "e-1", type, subject: "s", time: at, data: { ...ids, ...data } }) as AcsEvent;

describe("factsOfEvent", () => {
  it.each<{ name: string; event: AcsEvent; facts: FactUpdate | undefined }>([
    {
      name: "IncomingCall: caller and callee, the ring, its moment and arrival",
      event: eventOf("Microsoft.Communication.IncomingCall", {
        from: { kind: "phoneNumber", phoneNumber: { value: "+15550100" } },
        to: user("bob"),
        incomingCallContext: "ctx",
      }),
      facts: {
        correlationId: "corr-1",
        participants: ["4:+15550100", "8:acs:bob"],
        caller: "4:+15550100",
        callee: "8:acs:bob",
        startedAt: at,
        rang: true,
        rangSeenAt: received,
      },
    },
    {
      name: "IncomingCall from an identifier we cannot read: no caller, only the callee",
      event: eventOf("Microsoft.Communication.IncomingCall", {
        from: { kind: "unknown" },
        to: user("bob"),
        incomingCallContext: "ctx",
      }),
      facts: {
        correlationId: "corr-1",
        participants: ["8:acs:bob"],
        callee: "8:acs:bob",
        startedAt: at,
        rang: true,
        rangSeenAt: received,
      },
    },
    {
      name: "CallStarted: its starter is a hint of the caller (startedBy with communicationIdentifier)",
      event: eventOf("Microsoft.Communication.CallStarted", {
        startedBy: { communicationIdentifier: user("alice"), role: "{role}" },
      }),
      facts: {
        correlationId: "corr-1",
        participants: ["8:acs:alice"],
        callerHint: "8:acs:alice",
        started: true,
        startedAt: at,
        startedSeenAt: received,
      },
    },
    {
      name: "CallStarted: startedBy as the identifier itself (older documents)",
      event: eventOf("Microsoft.Communication.CallStarted", { startedBy: user("alice") }),
      facts: {
        correlationId: "corr-1",
        participants: ["8:acs:alice"],
        callerHint: "8:acs:alice",
        started: true,
        startedAt: at,
        startedSeenAt: received,
      },
    },
    {
      name: "CallStarted without startedBy: no hint, no participant",
      event: eventOf("Microsoft.Communication.CallStarted", {}),
      facts: { correlationId: "corr-1", participants: [], started: true, startedAt: at, startedSeenAt: received },
    },
    {
      name: "CallParticipantAdded: one more participant",
      event: eventOf("Microsoft.Communication.CallParticipantAdded", {
        user: { communicationIdentifier: user("carol") },
      }),
      facts: { correlationId: "corr-1", participants: ["8:acs:carol"] },
    },
    {
      name: "CallEnded: the end",
      event: eventOf("Microsoft.Communication.CallEnded", {}),
      facts: { correlationId: "corr-1", ended: true },
    },
    {
      name: "CallParticipantRemoved tells nothing",
      event: eventOf("Microsoft.Communication.CallParticipantRemoved", {
        user: { communicationIdentifier: user("carol") },
      }),
      facts: undefined,
    },
    {
      name: "ParticipantsUpdated: everyone its list names (phone parties too)",
      event: eventOf("Microsoft.Communication.ParticipantsUpdated", participantsUpdated),
      facts: { correlationId: "corr-1", participants: ["4:+442071110002", "8:acs:alice", "8:acs:bob"] },
    },
  ])("$name", ({ event, facts }) => {
    expect(factsOfEvent(event, received)).toEqual(facts);
  });
});

describe("presenceOfEvent", () => {
  it.each<{ name: string; event: AcsEvent; expected: ReturnType<typeof presenceOfEvent> }>([
    {
      name: "CallParticipantAdded: an Event Grid join, at the event's time, kept by its id",
      event: eventOf("Microsoft.Communication.CallParticipantAdded", {
        user: { communicationIdentifier: user("carol") },
      }),
      expected: {
        key: "event-grid:e-1",
        observation: { source: "event-grid", change: "joined", participant: "8:acs:carol", at },
      },
    },
    {
      name: "CallParticipantRemoved: an Event Grid leave",
      event: eventOf("Microsoft.Communication.CallParticipantRemoved", {
        user: { communicationIdentifier: user("carol") },
      }),
      expected: {
        key: "event-grid:e-1",
        observation: { source: "event-grid", change: "left", participant: "8:acs:carol", at },
      },
    },
    {
      name: "ParticipantsUpdated: its connection's whole list, with its sequence number",
      event: eventOf("Microsoft.Communication.ParticipantsUpdated", participantsUpdated),
      expected: {
        key: "connection:e-1",
        observation: {
          source: "connection",
          callConnectionId: "conn-1",
          sequenceNumber: 5,
          participants: ["4:+442071110002", "8:acs:alice", "8:acs:bob"],
          at,
        },
      },
    },
    {
      name: "a participant whose identifier we cannot read: nothing",
      event: eventOf("Microsoft.Communication.CallParticipantRemoved", {
        user: { communicationIdentifier: { kind: "unknown" } },
      }),
      expected: undefined,
    },
    { name: "CallEnded: nothing", event: eventOf("Microsoft.Communication.CallEnded", {}), expected: undefined },
  ])("$name", ({ event, expected }) => {
    expect(presenceOfEvent(event)).toEqual(expected);
  });
});

describe("recordingUpdateOf", () => {
  const stateEvent = (state: "active" | "inactive", startDateTime: string | undefined, time = at) =>
    ({
      id: "e-2",
      type: "Microsoft.Communication.RecordingStateChanged",
      subject: "s",
      time,
      data: { ...ids, callConnectionId: "conn", recordingId: "rec-1", state, startDateTime },
    }) as const;

  it.each([
    {
      name: "the placeholder inactive before activation is initial",
      event: stateEvent("inactive", "0001-01-01T00:00:00Z"),
      expected: { kind: "event", state: "inactive", at: Date.parse(at) * 1000, initial: true },
    },
    {
      name: "a real inactive is not",
      event: stateEvent("inactive", "2026-01-01T09:59:00Z"),
      expected: { kind: "event", state: "inactive", at: Date.parse(at) * 1000, initial: false },
    },
    {
      name: "active, ordered by the event's own time",
      event: stateEvent("active", "2026-01-01T09:59:00Z", "2026-01-01T10:00:00.123456Z"),
      expected: { kind: "event", state: "active", at: Date.parse(at) * 1000 + 123_456, initial: false },
    },
    {
      name: "an event time that is no moment: its arrival instead",
      event: stateEvent("active", undefined, "soon"),
      expected: { kind: "event", state: "active", at: Date.parse(received) * 1000, initial: false },
    },
  ])("$name", ({ event, expected }) => {
    expect(recordingUpdateOf(event, received, 0)).toEqual(expected);
  });
});
