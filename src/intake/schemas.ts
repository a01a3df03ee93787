import { z } from "zod";

/** Identifier wire model (docs/acs-payloads.md "Identifiers"). Only what we read is required. */
export const identifierModel = z.looseObject({
  rawId: z.string().min(1).optional(),
  kind: z.string().optional(),
  communicationUser: z.looseObject({ id: z.string().min(1) }).optional(),
  phoneNumber: z.looseObject({ value: z.string().min(1) }).optional(),
  microsoftTeamsUser: z.looseObject({ userId: z.string().min(1) }).optional(),
});
export type IdentifierModel = z.infer<typeof identifierModel>;

const callIds = { serverCallId: z.string().min(1), correlationId: z.string().min(1) };

// --- Event Grid payloads (docs/acs-payloads.md "Event Grid events") ---

export const incomingCallData = z.looseObject({
  to: identifierModel,
  from: identifierModel,
  ...callIds,
  callerDisplayName: z.string().optional(),
  incomingCallContext: z.string().min(1),
});

/** `startedBy` comes as `{communicationIdentifier, role}` or, in older documents, the identifier itself with `role`. */
const startedBy = z.union([
  z.looseObject({ communicationIdentifier: identifierModel, role: z.string().optional() }),
  identifierModel,
]);

export const callStartedData = z.looseObject({
  ...callIds,
  startedBy: startedBy.optional(),
  isTwoParty: z.boolean().optional(),
  group: z.looseObject({ id: z.string() }).optional(),
});

export const callEndedData = z.looseObject({
  ...callIds,
  callDurationInSeconds: z.number().optional(),
  durationOfCall: z.number().optional(),
});

/**
 * CallParticipantAdded / CallParticipantRemoved (docs/acs-payloads.md "Participants: who is on the call, and who
 * left"): published for ACS VoIP users only. `participantId` is per join; `userAgent` was `endpointType` in the
 * older example; the call's own fields (`startedBy`, `isTwoParty`, `group`, `room`, `isRoomsCall`) ride along.
 */
export const callParticipantData = z.looseObject({
  ...callIds,
  user: z.looseObject({ communicationIdentifier: identifierModel, role: z.string().optional() }),
  displayName: z.string().optional(),
  participantId: z.string().optional(),
  userAgent: z.string().optional(),
  endpointType: z.string().optional(),
  startedBy: startedBy.optional(),
  isTwoParty: z.boolean().optional(),
  isRoomsCall: z.boolean().optional(),
  group: z.looseObject({ id: z.string() }).optional(),
  room: z.looseObject({ id: z.string() }).optional(),
});
export type CallParticipantData = z.infer<typeof callParticipantData>;

export const recordingChunk = z.looseObject({
  documentId: z.string().min(1),
  index: z.number().int().min(0),
  endReason: z.string(),
  contentLocation: z.string().min(1),
  metadataLocation: z.string().min(1),
  deleteLocation: z.string().min(1),
});
export type RecordingChunk = z.infer<typeof recordingChunk>;

export const recordingFileStatusUpdatedData = z.looseObject({
  recordingStorageInfo: z.looseObject({ recordingChunks: z.array(recordingChunk).min(1) }),
  recordingStartTime: z.string().min(1),
  recordingDurationMs: z.number().nonnegative(),
  // PascalCase on this event, unlike the REST API (docs/acs-payloads.md "Event Grid events").
  recordingContentType: z.enum(["Audio", "AudioVideo"]).optional(),
  recordingChannelType: z.enum(["Mixed", "Unmixed"]).optional(),
  recordingFormatType: z.enum(["Wav", "Mp3", "Mp4"]).optional(),
  sessionEndReason: z.string().optional(),
  // Newer notifications also name the recording and its storage ("Bring your own storage" page); read-only facts.
  recordingId: z.string().min(1).optional(),
  storageType: z.string().optional(),
});
export type RecordingFileStatusUpdatedData = z.infer<typeof recordingFileStatusUpdatedData>;

// --- Call Automation callbacks (docs/acs-payloads.md "Callbacks") ---

const callbackCommon = {
  callConnectionId: z.string().min(1),
  serverCallId: z.string().min(1),
  correlationId: z.string().min(1),
  operationContext: z.string().optional(),
};

export const callConnectedData = z.looseObject(callbackCommon);
export const callDisconnectedData = z.looseObject(callbackCommon);
export const recordingStateChangedData = z.looseObject({
  ...callbackCommon,
  recordingId: z.string().min(1),
  state: z.enum(["active", "inactive"]),
  startDateTime: z.string().optional(),
  recordingKind: z.string().optional(),
});

/**
 * StartRecordingFailed (SDK ≥ 1.5; its typings: callConnectionId, serverCallId, correlationId, recordingId?,
 * operationContext?, resultInformation?). ACS accepted a start, then could not carry it out. callConnectionId is
 * not required: we never use it, and a start by serverCallLocator belongs to no connection of ours.
 */
export const startRecordingFailedData = z.looseObject({
  serverCallId: z.string().min(1),
  correlationId: z.string().min(1),
  callConnectionId: z.string().optional(),
  operationContext: z.string().optional(),
  recordingId: z.string().min(1).optional(),
  resultInformation: z
    .looseObject({ code: z.number().optional(), subCode: z.number().optional(), message: z.string().optional() })
    .optional(),
});

/** One entry of a participant list, in ParticipantsUpdated and in the participant list GET (SDK `CallParticipant`). */
export const callParticipant = z.looseObject({
  identifier: identifierModel,
  isMuted: z.boolean().optional(),
  isOnHold: z.boolean().optional(),
});
export type CallParticipant = z.infer<typeof callParticipant>;

/**
 * ParticipantsUpdated: the whole participant list as one connection sees it, with a `sequenceNumber` that orders the
 * lists of that connection only (docs/acs-payloads.md "Participants: who is on the call, and who left"). Every recorded
 * delivery carries the number; it stays optional because the SDK types it so, and a list without one is simply not
 * ordered against the others (src/calls/scope.ts).
 */
export const participantsUpdatedData = z.looseObject({
  ...callbackCommon,
  sequenceNumber: z.number().int().nonnegative().optional(),
  participants: z.array(callParticipant),
  resultInformation: z
    .looseObject({ code: z.number().optional(), subCode: z.number().optional(), message: z.string().optional() })
    .optional(),
});
export type ParticipantsUpdatedData = z.infer<typeof participantsUpdatedData>;

export const playResultData = z.looseObject({
  ...callbackCommon,
  resultInformation: z
    .looseObject({ code: z.number().optional(), subCode: z.number().optional(), message: z.string().optional() })
    .optional(),
});

/**
 * RecognizeCompleted / RecognizeFailed / RecognizeCanceled (SDK 1.6.0 typings; docs/acs-payloads.md "Recognize"): the
 * answer to a consent prompt. A completion says what was heard, by `recognitionType`; the tones are names ("one").
 */
export const recognizeResultData = z.looseObject({
  ...callbackCommon,
  recognitionType: z.string().optional(),
  dtmfResult: z.looseObject({ tones: z.array(z.string()).optional() }).optional(),
  speechResult: z.looseObject({ speech: z.string().optional(), confidence: z.number().optional() }).optional(),
  choiceResult: z
    .looseObject({
      label: z.string().optional(),
      recognizedPhrase: z.string().optional(),
      confidence: z.number().optional(),
    })
    .optional(),
  resultInformation: z
    .looseObject({ code: z.number().optional(), subCode: z.number().optional(), message: z.string().optional() })
    .optional(),
});

/** Every event type we act on, with the schema of its `data`. Anything else is accepted, counted and ignored. */
export const eventDataSchemas = {
  "Microsoft.Communication.IncomingCall": incomingCallData,
  "Microsoft.Communication.CallStarted": callStartedData,
  "Microsoft.Communication.CallEnded": callEndedData,
  "Microsoft.Communication.CallParticipantAdded": callParticipantData,
  "Microsoft.Communication.CallParticipantRemoved": callParticipantData,
  "Microsoft.Communication.RecordingFileStatusUpdated": recordingFileStatusUpdatedData,
  "Microsoft.Communication.CallConnected": callConnectedData,
  "Microsoft.Communication.CallDisconnected": callDisconnectedData,
  "Microsoft.Communication.RecordingStateChanged": recordingStateChangedData,
  "Microsoft.Communication.StartRecordingFailed": startRecordingFailedData,
  "Microsoft.Communication.PlayCompleted": playResultData,
  "Microsoft.Communication.PlayFailed": playResultData,
  "Microsoft.Communication.RecognizeCompleted": recognizeResultData,
  "Microsoft.Communication.RecognizeFailed": recognizeResultData,
  "Microsoft.Communication.RecognizeCanceled": recognizeResultData,
  "Microsoft.Communication.ParticipantsUpdated": participantsUpdatedData,
} as const;

export type KnownEventType = keyof typeof eventDataSchemas;
export type EventDataOf<T extends KnownEventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** A validated event of a type we act on: the unit that flows from intake to the event worker. */
export type AcsEvent = {
  [T in KnownEventType]: { id: string; type: T; subject: string; time: string; data: EventDataOf<T> };
}[KnownEventType];

export function isKnownEventType(type: string): type is KnownEventType {
  return Object.hasOwn(eventDataSchemas, type);
}

// --- Envelopes ---

export const eventGridEnvelope = z.looseObject({
  id: z.string().min(1),
  eventType: z.string().min(1),
  subject: z.string(),
  eventTime: z.string().min(1),
  data: z.unknown(),
  dataVersion: z.string().optional(),
  metadataVersion: z.string().optional(),
  topic: z.string().optional(),
});

export const cloudEventEnvelope = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  source: z.string().min(1),
  specversion: z.literal("1.0"),
  subject: z.string().optional(),
  time: z.string().optional(),
  data: z.unknown(),
});

export const subscriptionValidationData = z.looseObject({
  validationCode: z.string().min(1),
  validationUrl: z.string().optional(),
});
