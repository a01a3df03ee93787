import { rawIdOf } from "../acs/index.js";
import type { AcsEvent } from "../intake/index.js";
import { isPlaceholderStart, microsOf, type FactUpdate, type RecordingUpdate } from "../sessions/index.js";
import type { PresenceObservation } from "./scope.js";

type EventOf<T extends AcsEvent["type"]> = Extract<AcsEvent, { type: T }>;

/**
 * What a calling event tells of its call, as facts for the session (src/sessions/facts.ts merges them by rule);
 * undefined for an event that tells none. `receivedAt`: when the webhook received it, where time-to-record starts.
 */
export function factsOfEvent(event: AcsEvent, receivedAt: string): FactUpdate | undefined {
  switch (event.type) {
    case "Microsoft.Communication.IncomingCall": {
      const caller = rawIdOf(event.data.from);
      const callee = rawIdOf(event.data.to);
      return {
        correlationId: event.data.correlationId,
        participants: [caller, callee].filter((id): id is string => !!id),
        ...(caller ? { caller } : {}),
        ...(callee ? { callee } : {}),
        startedAt: event.time,
        rang: true,
        rangSeenAt: receivedAt,
      };
    }
    case "Microsoft.Communication.CallStarted": {
      const startedBy = event.data.startedBy;
      const identifier =
        startedBy && "communicationIdentifier" in startedBy ? startedBy.communicationIdentifier : startedBy;
      const starter = identifier ? rawIdOf(identifier) : undefined;
      return {
        correlationId: event.data.correlationId,
        participants: starter ? [starter] : [],
        // Its starter is only a hint of the caller: IncomingCall's caller, when there is one, overwrites it.
        ...(starter ? { callerHint: starter } : {}),
        started: true,
        startedAt: event.time,
        startedSeenAt: receivedAt,
      };
    }
    case "Microsoft.Communication.CallParticipantAdded": {
      const participant = rawIdOf(event.data.user.communicationIdentifier);
      return { correlationId: event.data.correlationId, participants: participant ? [participant] : [] };
    }
    case "Microsoft.Communication.CallEnded":
      return { correlationId: event.data.correlationId, ended: true };
    // Phone and Teams parties who join later appear only in lists: the decision must count them (who is in scope).
    case "Microsoft.Communication.ParticipantsUpdated":
      return { correlationId: event.data.correlationId, participants: listedParticipants(event.data.participants) };
    default:
      return undefined;
  }
}

/**
 * A RecordingStateChanged as an update of its recording's facts: ordered by when it happened at ACS, not by arrival
 * (ACS promises no order); the placeholder startDateTime marks the state before activation. See
 * docs/acs-payloads.md "State events and connections". `nowMs` only for an event whose times are no moments.
 */
export function recordingUpdateOf(
  event: EventOf<"Microsoft.Communication.RecordingStateChanged">,
  receivedAt: string,
  nowMs: number,
): Extract<RecordingUpdate, { kind: "event" }> {
  const { state, startDateTime } = event.data;
  return {
    kind: "event",
    state,
    at: microsOf(event.time) ?? microsOf(receivedAt) ?? nowMs * 1000,
    initial: state === "inactive" && isPlaceholderStart(startDateTime),
  };
}

/** What a presence event says, as an observation for src/calls/scope.ts, under the key it is kept by once. */
export interface PresenceOfEvent {
  /** The event's own id, by source: a redelivery is the same observation. */
  key: string;
  observation: PresenceObservation;
}

/**
 * CallParticipantAdded/Removed (Event Grid, ACS users only) and ParticipantsUpdated (a connection's whole list:
 * phone and Teams parties too) as presence observations (docs/acs-payloads.md "Participants: who is on the call,
 * and who left"); undefined for any other event, or a participant without a raw id.
 */
export function presenceOfEvent(event: AcsEvent): PresenceOfEvent | undefined {
  switch (event.type) {
    case "Microsoft.Communication.CallParticipantAdded":
    case "Microsoft.Communication.CallParticipantRemoved": {
      const participant = rawIdOf(event.data.user.communicationIdentifier);
      if (!participant) return undefined;
      const change = event.type === "Microsoft.Communication.CallParticipantAdded" ? "joined" : "left";
      return {
        key: `event-grid:${event.id}`,
        observation: { source: "event-grid", change, participant, at: event.time },
      };
    }
    case "Microsoft.Communication.ParticipantsUpdated": {
      const { callConnectionId, sequenceNumber } = event.data;
      return {
        key: `connection:${event.id}`,
        observation: {
          source: "connection",
          callConnectionId,
          ...(sequenceNumber !== undefined ? { sequenceNumber } : {}),
          participants: listedParticipants(event.data.participants),
          at: event.time,
        },
      };
    }
    default:
      return undefined;
  }
}

/** The raw ids of a participant list (ParticipantsUpdated, or ACS's answer to the participant list), sorted. */
export function listedParticipants(participants: readonly { identifier: Parameters<typeof rawIdOf>[0] }[]): string[] {
  return [...new Set(participants.flatMap((p) => rawIdOf(p.identifier) ?? []))].sort();
}
