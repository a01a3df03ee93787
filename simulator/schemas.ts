// Request bodies the simulator accepts, as zod schemas (wire names: docs/acs-payloads.md "REST calls the SDK makes").
import { z } from "zod";

const httpUrl = z.url({ protocol: /^https?$/ });

/** CommunicationIdentifierModel; rawId is optional on the wire but one identity must be present. */
export const identifierModel = z
  .object({
    kind: z
      .enum([
        "unknown",
        "communicationUser",
        "phoneNumber",
        "microsoftTeamsUser",
        "microsoftTeamsApp",
        "teamsExtensionUser",
      ])
      .optional(),
    rawId: z.string().min(1).optional(),
    communicationUser: z.object({ id: z.string().min(1) }).optional(),
    phoneNumber: z
      .object({ value: z.string().min(1), isAnonymous: z.boolean().optional(), assertedId: z.string().optional() })
      .optional(),
    microsoftTeamsUser: z
      .object({ userId: z.string().min(1), isAnonymous: z.boolean().optional(), cloud: z.string().optional() })
      .optional(),
    microsoftTeamsApp: z.object({ appId: z.string().min(1), cloud: z.string().optional() }).optional(),
    teamsExtensionUser: z
      .object({ userId: z.string().min(1) })
      .passthrough()
      .optional(),
  })
  .refine(
    (m) =>
      m.rawId !== undefined ||
      m.communicationUser !== undefined ||
      m.phoneNumber !== undefined ||
      m.microsoftTeamsUser !== undefined ||
      m.microsoftTeamsApp !== undefined ||
      m.teamsExtensionUser !== undefined,
    "an identifier needs a rawId or an identity",
  );

export const callLocator = z.object({
  kind: z.enum(["serverCallLocator", "groupCallLocator", "roomCallLocator"]).optional(),
  serverCallId: z.string().min(1).optional(),
  groupCallId: z.string().min(1).optional(),
  roomId: z.string().min(1).optional(),
});

export const connectRequest = z.object({
  callLocator,
  callbackUri: httpUrl,
  operationContext: z.string().optional(),
  callIntelligenceOptions: z.object({}).passthrough().optional(),
  mediaStreamingOptions: z.object({}).passthrough().optional(),
  transcriptionOptions: z.object({}).passthrough().optional(),
});

export const answerRequest = z.object({
  incomingCallContext: z.string().min(1),
  callbackUri: httpUrl,
  operationContext: z.string().optional(),
  answeredBy: z.object({ id: z.string() }).optional(),
  callIntelligenceOptions: z.object({}).passthrough().optional(),
  mediaStreamingOptions: z.object({}).passthrough().optional(),
  transcriptionOptions: z.object({}).passthrough().optional(),
});

export const rejectRequest = z.object({
  incomingCallContext: z.string().min(1),
  callRejectReason: z.enum(["none", "busy", "forbidden"]).optional(),
});

export const startRecordingRequest = z
  .object({
    callLocator: callLocator.optional(),
    callConnectionId: z.string().min(1).optional(),
    recordingStateCallbackUri: httpUrl.optional(),
    recordingContentType: z.enum(["audio", "audioVideo"]).optional(),
    recordingChannelType: z.enum(["mixed", "unmixed"]).optional(),
    recordingFormatType: z.enum(["wav", "mp3", "mp4"]).optional(),
    audioChannelParticipantOrdering: z.array(identifierModel).optional(),
    channelAffinity: z
      .array(z.object({ channel: z.number().int().min(0).max(4).optional(), participant: identifierModel }))
      .optional(),
    pauseOnStart: z.boolean().optional(),
    externalStorage: z
      .object({
        recordingStorageKind: z.enum(["azureCommunicationServices", "azureBlobStorage"]),
        recordingDestinationContainerUrl: httpUrl.optional(),
      })
      .optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.callLocator === undefined) === (r.callConnectionId === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["callLocator"],
        message: "exactly one of callLocator or callConnectionId",
      });
    }
    if (
      r.externalStorage?.recordingStorageKind === "azureBlobStorage" &&
      !r.externalStorage.recordingDestinationContainerUrl
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["externalStorage", "recordingDestinationContainerUrl"],
        message: "required for azureBlobStorage",
      });
    }
  });

export const playRequest = z.object({
  playSources: z
    .array(
      z.object({
        kind: z.enum(["file", "text", "ssml"]),
        playSourceCacheId: z.string().optional(),
        file: z.object({ uri: z.string().min(1) }).optional(),
        text: z
          .object({ text: z.string().min(1) })
          .passthrough()
          .optional(),
        ssml: z
          .object({ ssmlText: z.string().min(1) })
          .passthrough()
          .optional(),
      }),
    )
    .min(1),
  playTo: z.array(identifierModel).optional(),
  interruptCallMediaOperation: z.boolean().optional(),
  playOptions: z.object({ loop: z.boolean() }).optional(),
  operationContext: z.string().optional(),
  operationCallbackUri: httpUrl.optional(),
});

/** DTMF tones as the SDK serializes them (KnownTone of SDK 1.6.0: names, not digits). */
export const TONES = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "a",
  "b",
  "c",
  "d",
  "pound",
  "asterisk",
] as const;
export const tone = z.enum(TONES);

const playSource = playRequest.shape.playSources.element;

/**
 * POST /calling/callConnections/{id}:recognize as SDK 1.6.0 sends it (callMedia.js createRecognizeRequest; limits from
 * the SDK's mappers and Microsoft's "Gather user input with Recognize action": docs/acs-payloads.md "Recognize").
 */
export const recognizeRequest = z
  .object({
    recognizeInputType: z.enum(["dtmf", "speech", "speechOrDtmf", "choices"]),
    playPrompt: playSource.optional(),
    playPrompts: z.array(playSource).optional(),
    interruptCallMediaOperation: z.boolean().optional(),
    recognizeOptions: z.object({
      interruptPrompt: z.boolean().optional(),
      initialSilenceTimeoutInSeconds: z.number().int().min(0).max(300).optional(),
      targetParticipant: identifierModel,
      speechLanguage: z.string().optional(),
      speechRecognitionModelEndpointId: z.string().optional(),
      dtmfOptions: z
        .object({
          interToneTimeoutInSeconds: z.number().int().min(1).max(60).optional(),
          maxTonesToCollect: z.number().int().min(1).optional(),
          stopTones: z.array(tone).optional(),
        })
        .optional(),
      choices: z
        .array(z.object({ label: z.string().min(1), phrases: z.array(z.string().min(1)), tone: tone.optional() }))
        .optional(),
      speechOptions: z.object({ endSilenceTimeoutInMs: z.number().int().min(0).optional() }).optional(),
    }),
    operationContext: z.string().optional(),
    operationCallbackUri: httpUrl.optional(),
  })
  .superRefine((r, ctx) => {
    const o = r.recognizeOptions;
    const type = r.recognizeInputType;
    if ((type === "dtmf" || type === "speechOrDtmf") && !o.dtmfOptions?.maxTonesToCollect)
      ctx.addIssue({
        code: "custom",
        path: ["recognizeOptions", "dtmfOptions", "maxTonesToCollect"],
        message: "required for dtmf",
      });
    if (type === "choices" && !o.choices?.length)
      ctx.addIssue({ code: "custom", path: ["recognizeOptions", "choices"], message: "required for choices" });
    // Microsoft's page: the initial silence timeout is at most 300 s for DTMF, 20 s for choices and speech.
    if (type !== "dtmf" && (o.initialSilenceTimeoutInSeconds ?? 0) > 20)
      ctx.addIssue({
        code: "custom",
        path: ["recognizeOptions", "initialSilenceTimeoutInSeconds"],
        message: "at most 20 for speech and choices",
      });
  });

// ---- the simulator's own control API ----

const rawId = z
  .string()
  .regex(
    /^(8:(acs|spool|gcch-acs|orgid|gcch|dod|teamsvisitor):.+|4:(\+?\d{3,15}|anonymous)|28:.+)$/,
    'must be a rawId such as "8:acs:<resource>_<user>" or "4:+14255550123"',
  );

export const placeCallRequest = z.object({
  from: rawId,
  to: rawId,
  durationMs: z.number().int().min(0).optional(),
  recordingDurationMs: z.number().int().min(0).optional(),
  chunkMaxDurationMs: z.number().int().min(1).optional(),
  chunkMaxBytes: z.number().int().min(1024).optional(),
  additionalParticipants: z.array(rawId).optional(),
  recordingEventForm: z
    .enum(["call-id", "server-call-id", "server-call-id+data", "server-call-id+recording-id", "recording-id"])
    .optional(),
  eventGridDelivery: z.boolean().optional(),
  eventGridDroppedTypes: z.array(z.string().regex(/^Microsoft\.Communication\.[A-Za-z]+$/)).optional(),
  customerStorageWrite: z.enum(["ok", "fail", "duplicate"]).optional(),
});

/**
 * Control API: what a participant answers the next recognize that targets them. Tones as keys ("1", "#", "*") or
 * as the wire's names ("one", "pound"); `afterMs` is counted from the end of the prompt.
 */
export const recognizeAnswerRequest = z.object({
  rawId,
  answer: z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("dtmf"),
      tones: z
        .array(z.string().regex(/^([0-9a-dA-D#*]|zero|one|two|three|four|five|six|seven|eight|nine|pound|asterisk)$/))
        .min(1),
      afterMs: z.number().int().min(0).optional(),
    }),
    z.object({ kind: z.literal("speech"), phrase: z.string().min(1), afterMs: z.number().int().min(0).optional() }),
    z.object({ kind: z.literal("silent") }),
  ]),
});

/** Control API: someone joins a live call. */
export const addParticipantRequest = z.object({ rawId });

export const eventGridSubscriptionRequest = z.object({
  endpointUrl: httpUrl,
  schema: z.enum(["EventGridSchema", "CloudEventSchemaV1_0"]).optional(),
});

/** "field.path: message" for the first issue, so a 400 names the field. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid body";
  const path = issue.path.map(String).join(".");
  return path ? `${path}: ${issue.message}` : issue.message;
}
