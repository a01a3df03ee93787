// The simulator's public surface. Other engineers' tests and scripts depend on these exact names.
import type { CustomerStorageOptions, CustomerStorageWrite } from "./customer-storage.js";
import type { DiagnosticLogsOptions } from "./diagnostic-logs.js";
import type { FaultSpec, FaultView } from "./faults.js";

export interface SimulatorOptions {
  /** 0 or undefined = a random free port. */
  port?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Base64 HMAC key: the `accesskey=` of the connection string. */
  accessKey: string;
  /** ACS immutable resource id (GUID): the callback JWT audience and the metadata `resourceId`. */
  resourceId: string;
  /** Host in content URLs; must end with ".asm.skype.com" (the SDK refuses anything else). */
  storageHost?: string;
  /** If set, the Event Grid subscription is created at start (the handshake runs first). */
  eventGridUrl?: string;
  timings?: Partial<SimulatorTimings>;
  /** Optional structured log sink; without one the simulator is silent in-process. */
  log?: (line: Record<string, unknown>) => void;
  /** Participants per listParticipants page before a `nextLink` is returned (default 100). */
  participantsPageSize?: number;
  /**
   * Deliveries in flight at once per destination (Event Grid endpoint, callback URI). Default 1: each waits for
   * the previous answer, so events arrive in the order they happened. Event Grid itself delivers concurrently
   * and in no fixed order: use more to load a webhook as it would be (the benchmarks do).
   */
  deliveryConcurrency?: number;
  /**
   * Chunk limits of every call that does not set its own (PlaceCallRequest): a recording longer or larger is
   * delivered as several chunks, all but the last with endReason ChunkMaximumSizeExceeded. ACS documents
   * "a maximum of 4 hours" per chunk (the default) and names no size; a size limit here makes big recordings
   * arrive in parts without hours of audio.
   */
  chunkMaxDurationMs?: number;
  chunkMaxBytes?: number;
  /**
   * If set, ACS's call logs are written as a diagnostic setting archives them to a storage account: a
   * call-summary record per participant and a recording-summary record per recording (diagnostic-logs.ts).
   */
  diagnosticLogs?: DiagnosticLogsOptions;
  /**
   * Bring your own storage: the account ACS's managed identity may write recordings to, and the containers it holds
   * a role on (simulator/customer-storage.ts). Without it every export to a customer container fails.
   */
  customerStorage?: CustomerStorageOptions;
}

export interface SimulatorTimings {
  /** IncomingCall → CallStarted. */
  ringMs: number;
  /** connect 200 → CallConnected callback (also the length of a simulated play). */
  connectMs: number;
  /** start → RecordingStateChanged active. */
  recordingActivationMs: number;
  /** Recording stopped → RecordingFileStatusUpdated. */
  fileStatusDelayMs: number;
  /** Event Grid (and callback) retry schedule, scaled down from Event Grid's minutes. */
  deliveryRetryMs: number[];
}

export type EventGridSchema = "EventGridSchema" | "CloudEventSchemaV1_0";

export interface EventGridSubscriptionOptions {
  /** Default "EventGridSchema". */
  schema?: EventGridSchema;
}

export interface RunningSimulator {
  /** http://HOST:PORT without a trailing slash. */
  url: string;
  port: number;
  /** `endpoint=${url}/;accesskey=${accessKey}` */
  connectionString: string;
  /** `${url}/calling/.well-known/acsopenidconfiguration` */
  openIdConfigurationUrl: string;
  /** "https://acscallautomation.communication.azure.com" */
  issuer: string;
  /** Runs the validation handshake; rejects (leaving the old subscription in place) if the endpoint fails it. */
  setEventGridSubscription(endpointUrl: string, options?: EventGridSubscriptionOptions): Promise<void>;
  placeCall(req: PlaceCallRequest): Promise<{ serverCallId: string; correlationId: string }>;
  endCall(serverCallId: string): Promise<void>;
  /**
   * Someone joins an established call: CallParticipantAdded (Event Grid, ACS VoIP users only, docs/acs-payloads.md "Event Grid events")
   * and ParticipantsUpdated to every connected call connection (§3.2). Rejects for an unknown call, a call
   * that is not established, or someone already on it.
   */
  addParticipant(serverCallId: string, rawId: string): Promise<void>;
  /**
   * Someone leaves an established call: CallParticipantRemoved (Event Grid, ACS VoIP users only) and ParticipantsUpdated
   * without them to every connected call connection (docs/acs-payloads.md "Participants: who is on the call, and who
   * left"). When only one party would remain, the call ends. Rejects for an unknown call, a call that is not
   * established, or someone not on it. They may join again with addParticipant.
   */
  removeParticipant(serverCallId: string, rawId: string): Promise<void>;
  /**
   * What `rawId` answers the next recognize that targets them on this call (queued: one answer per recognize).
   * Without a script a participant is silent (RecognizeFailed 8510 after the initial silence timeout).
   */
  scriptRecognizeAnswer(serverCallId: string, rawId: string, answer: RecognizeAnswerScript): Promise<void>;
  getCall(serverCallId: string): CallView | undefined;
  /** Every ACS REST and storage request received, in order. */
  requests(): RequestLogEntry[];
  /** Queues a fault for the next matching request(s); faults are consumed in the order added. */
  addFault(spec: FaultSpec): FaultView;
  /** Faults not yet used up. */
  faults(): FaultView[];
  clearFaults(): void;
  stop(): Promise<void>;
}

export interface PlaceCallRequest {
  /** rawId of the caller, e.g. "8:acs:<resource>_<user>" or "4:+14255550123". */
  from: string;
  /** rawId of the callee. */
  to: string;
  /** Call length from CallStarted to CallEnded (default 5000). */
  durationMs?: number;
  /** Synthesize this much audio per recording regardless of wall clock (fast large chunks). */
  recordingDurationMs?: number;
  /** Split recordings into chunks of at most this audio length (default: the simulator's, 4 h). */
  chunkMaxDurationMs?: number;
  /** Split recordings into chunk files of at most this many bytes (default: the simulator's; none but the 4 GiB of RIFF). */
  chunkMaxBytes?: number;
  /** Further rawIds that join when the call starts (group calls). */
  additionalParticipants?: string[];
  /** How this call's RecordingFileStatusUpdated names it (default: the next form in RECORDING_EVENT_FORMS). */
  recordingEventForm?: RecordingEventForm;
  /**
   * False: no Event Grid event of this call is delivered (a subscription deleted or filtered too narrowly), so
   * the app never hears of it; ACS's own call logs still record it. Default true.
   */
  eventGridDelivery?: boolean;
  /**
   * Event types of this call that are not delivered (a subscription whose filter leaves them out), e.g.
   * `["Microsoft.Communication.RecordingFileStatusUpdated"]`: the app hears of the call but not of its recording.
   */
  eventGridDroppedTypes?: string[];
  /**
   * A recording started with `externalStorage` (bring your own storage): `ok` (default) writes it into the
   * container when allowed; `fail` fails the export, so the notification carries only ACS's download locations;
   * `duplicate` writes it twice, as Microsoft's known issue says ACS sometimes does.
   */
  customerStorageWrite?: CustomerStorageWrite;
}

/**
 * The documented shapes of RecordingFileStatusUpdated (subject, and `data.recordingId`/`storageType`), where
 * `{call-id}` is the call's correlationId:
 * - `call-id`: `/recording/call/{call-id}` (older "Call Recording overview" pages)
 * - `server-call-id`: `/recording/call/{call-id}/serverCallId/{serverCallId}` (call recording quickstarts)
 * - `server-call-id+data`: the same subject with `data.recordingId` and `data.storageType` (newer notifications,
 *   as on the "Bring your own storage" page)
 * - `server-call-id+recording-id`: `/recording/call/{call-id}/serverCallId/{serverCallId}/recordingId/{recordingId}`
 *   ("Azure Communication Services - Voice and video calling events")
 * - `recording-id`: `/recording/call/{call-id}/recordingId/{recordingId}` (Event Grid's schema example)
 */
export type RecordingEventForm =
  "call-id" | "server-call-id" | "server-call-id+data" | "server-call-id+recording-id" | "recording-id";

export type CallState = "ringing" | "established" | "ended";
export type ConnectionState = "connecting" | "connected" | "disconnected";
export type RecordingViewState = "active" | "inactive" | "stopped";

export interface CallView {
  serverCallId: string;
  correlationId: string;
  state: CallState;
  /** Set when the call was rejected while ringing: the `callRejectReason` sent ("none" when absent). */
  rejectedWith?: "none" | "busy" | "forbidden";
  /** The context its IncomingCall carried (for tests that check the app keeps it nowhere). */
  incomingCallContext: string;
  /** rawIds, in order of joining. */
  participants: string[];
  connections: ConnectionView[];
  recordings: RecordingView[];
  /** How the call's recording events name it. */
  recordingEventForm: RecordingEventForm;
  /** Every recognize asked on the call, in order. */
  recognitions: RecognitionView[];
  /** Every play asked on the call, in order: `playTo` the rawIds it names, empty for everyone. */
  plays: PlayView[];
}

export interface PlayView {
  callConnectionId: string;
  operationContext?: string;
  playTo: string[];
  requestedAt: string;
}

/** A scripted answer: keys pressed ("1", "#" or "one", "pound"), words spoken, or nothing. */
export type RecognizeAnswerScript =
  | { kind: "dtmf"; tones: string[]; afterMs?: number }
  | { kind: "speech"; phrase: string; afterMs?: number }
  | { kind: "silent" };

export interface RecognitionView {
  callConnectionId: string;
  operationContext?: string;
  target: string;
  inputType: "dtmf" | "speech" | "choices" | "speechOrDtmf";
  requestedAt: string;
  outcome?: "RecognizeCompleted" | "RecognizeFailed" | "RecognizeCanceled";
  subCode?: number;
  endedAt?: string;
}

export interface ConnectionView {
  callConnectionId: string;
  callbackUri: string;
  state: ConnectionState;
}

export interface RecordingOptionsView {
  content: "audio" | "audioVideo";
  channel: "mixed" | "unmixed";
  format: "wav" | "mp3" | "mp4";
  pauseOnStart: boolean;
  /** rawIds */
  audioChannelParticipantOrdering: string[];
  channelAffinity: { channel: number; participant: string }[];
  externalStorage?: { recordingStorageKind: string; recordingDestinationContainerUrl?: string };
  recordingStateCallbackUri?: string;
  startedVia: "serverCallLocator" | "callConnectionId";
}

export interface RecordingView {
  recordingId: string;
  state: RecordingViewState;
  /** When the start request came in, and when the recording first became active (its audio starts there). */
  requestedAt: string;
  activatedAt?: string;
  options: RecordingOptionsView;
  chunks: ChunkView[];
}

export interface ChunkView {
  documentId: string;
  index: number;
  contentLocation: string;
  metadataLocation: string;
  deleteLocation: string;
  sizeBytes: number;
  /** Hex SHA-256 of the exact content bytes served. */
  sha256: string;
  deleted: boolean;
}

export type Operation =
  | "connect"
  | "answer"
  | "reject"
  | "getCall"
  | "hangUp"
  | "terminate"
  | "listParticipants"
  | "startRecording"
  | "getRecording"
  | "pauseRecording"
  | "resumeRecording"
  | "stopRecording"
  | "download"
  | "delete"
  | "play"
  | "recognize"
  | "cancelAllMediaOperations"
  | "unknown";

export interface RequestLogEntry {
  /** ISO time the request arrived. */
  at: string;
  method: string;
  /** Path as received (percent-encoded, without the query). */
  path: string;
  operation: Operation;
  status: number;
  signatureValid: boolean;
  repeatabilityRequestId?: string;
  serverCallId?: string;
  /** The `Range` header as sent (storage downloads). */
  range?: string;
  /** The kind of injected fault that shaped this answer (see faults.ts). */
  fault?: string;
}
