// Event Grid `data` shapes for Microsoft.Communication.* events (docs/acs-payloads.md "Event Grid events"), with the wire names.
import { displayNameOf, identifierFromRawId } from "../identifiers.js";
import type { Call, Chunk, Participant, Recording } from "../model.js";
import type { RecordingEventForm } from "../types.js";

export interface EventGridMessage {
  eventType: string;
  subject: string;
  data: object;
}

const ROLE = "Attendee"; // the role values of 1:1 and group calls are unconfirmed

function callFields(call: Call) {
  return {
    startedBy: { communicationIdentifier: identifierFromRawId(call.from), role: ROLE },
    serverCallId: call.serverCallId,
    isTwoParty: call.participants.length + call.pendingParticipants.length <= 2,
    correlationId: call.correlationId,
    isRoomsCall: false,
  };
}

export function incomingCall(call: Call): EventGridMessage {
  return {
    eventType: "Microsoft.Communication.IncomingCall",
    subject: `/caller/${call.from}/recipient/${call.to}`,
    data: {
      to: identifierFromRawId(call.to),
      from: identifierFromRawId(call.from),
      serverCallId: call.serverCallId,
      callerDisplayName: displayNameOf(call.from),
      incomingCallContext: call.incomingCallContext,
      correlationId: call.correlationId,
    },
  };
}

export function callStarted(call: Call): EventGridMessage {
  return {
    eventType: "Microsoft.Communication.CallStarted",
    subject: `call/${call.serverCallId}/startedBy/${call.from}`,
    data: callFields(call),
  };
}

export function participantAdded(call: Call, p: Participant): EventGridMessage {
  return {
    eventType: "Microsoft.Communication.CallParticipantAdded",
    subject: `call/${call.serverCallId}/participant/${p.rawId}`,
    data: {
      ...callFields(call),
      user: { communicationIdentifier: identifierFromRawId(p.rawId), role: ROLE },
      displayName: displayNameOf(p.rawId),
      participantId: p.participantId,
      userAgent: "acs-simulator/1.0 (VoIP)",
    },
  };
}

/**
 * CallParticipantRemoved carries the same data as CallParticipantAdded, and no reason (the Event Grid page's example
 * and typings: docs/acs-payloads.md "Participants: who is on the call, and who left").
 */
export function participantRemoved(call: Call, p: Participant): EventGridMessage {
  const added = participantAdded(call, p);
  return { eventType: "Microsoft.Communication.CallParticipantRemoved", subject: added.subject, data: added.data };
}

export type EndedBy = { kind: "participant"; rawId: string } | { kind: "callAutomation" };

export function callEnded(call: Call, endedBy: EndedBy): EventGridMessage {
  const started = call.startedAt ?? call.placedAt;
  const ended = call.endedAt ?? new Date();
  // reason and endedBy values are unconfirmed beyond their field names (docs/acs-payloads.md "Event Grid events").
  const by =
    endedBy.kind === "participant"
      ? {
          communicationIdentifier: identifierFromRawId(endedBy.rawId),
          type: "Participant",
          name: displayNameOf(endedBy.rawId),
        }
      : {
          communicationIdentifier: { kind: "unknown", rawId: "Call Automation" },
          type: "MicrosoftInternal",
          name: "Call Automation",
        };
  return {
    eventType: "Microsoft.Communication.CallEnded",
    subject: `call/${call.serverCallId}`,
    data: {
      ...callFields(call),
      endedBy: by,
      reason: { code: 0, subCode: 0, phrase: "Call ended" },
      callDurationInSeconds: Math.max(0, (ended.getTime() - started.getTime()) / 1000),
    },
  };
}

const PASCAL = { audio: "Audio", audioVideo: "AudioVideo", mixed: "Mixed", unmixed: "Unmixed" } as const;
const FORMAT = { wav: "Wav", mp3: "Mp3", mp4: "Mp4" } as const;

export function recordingFileStatusUpdated(
  call: Call,
  rec: Recording,
  chunks: Chunk[],
  recordingStartTime: Date,
  recordingDurationMs: number,
  sessionEndReason: string,
  /** Bring your own storage: whether the export into the customer's container succeeded (undefined: not asked). */
  exported?: boolean,
): EventGridMessage {
  const byos = rec.options.externalStorage?.recordingStorageKind === "azureBlobStorage";
  const form = call.recordingEventForm;
  const withData = byos || form === "server-call-id+data";
  // A failed export's notification carries ACS's download locations (BYOS quickstart); that it says so with
  // storageType "acsstorage" is our reading, unconfirmed (docs/byos.md).
  const storageType = byos && exported !== false ? "AzureBlob" : "acsstorage";
  return {
    eventType: "Microsoft.Communication.RecordingFileStatusUpdated",
    subject: recordingSubject(call, rec, form),
    data: {
      ...(withData
        ? // "acsstorage" for ACS's own storage, as the bring-your-own-storage page lists it; BYOS as docs/acs-payloads.md "Event Grid events".
          { storageType, recordingId: rec.recordingId }
        : {}),
      recordingStorageInfo: {
        recordingChunks: chunks.map((c) => ({
          documentId: c.documentId,
          index: c.index,
          endReason: c.endReason,
          metadataLocation: c.metadataLocation,
          contentLocation: c.contentLocation,
          deleteLocation: c.deleteLocation,
        })),
      },
      recordingStartTime: recordingStartTime.toISOString(),
      recordingDurationMs,
      recordingContentType: PASCAL[rec.options.content],
      recordingChannelType: PASCAL[rec.options.channel],
      recordingFormatType: FORMAT[rec.options.format],
      sessionEndReason,
    },
  };
}

/**
 * The subject in the documented form the call was given (types.ts RecordingEventForm). `{call-id}` is ACS's call
 * id: the call's correlationId, as the metadata document's `callId` is — never the serverCallId.
 */
export function recordingSubject(call: Call, rec: Recording, form: RecordingEventForm): string {
  const base = `/recording/call/${call.correlationId}`;
  switch (form) {
    case "call-id":
      return base;
    case "server-call-id":
    case "server-call-id+data":
      return `${base}/serverCallId/${call.serverCallId}`;
    case "server-call-id+recording-id":
      return `${base}/serverCallId/${call.serverCallId}/recordingId/${rec.recordingId}`;
    case "recording-id":
      return `${base}/recordingId/${rec.recordingId}`;
  }
}
