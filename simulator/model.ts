// The simulator's in-memory state of calls, call connections and recordings.
import type { CustomerStorageWrite } from "./customer-storage.js";
import type { Timer } from "./scheduler.js";
import type { CallState, ConnectionState, RecordingEventForm, RecordingOptionsView } from "./types.js";

export interface Participant {
  rawId: string;
  /** The per-call participant id carried by CallParticipantAdded. */
  participantId: string;
  joinedAt: Date;
}

export interface Connection {
  callConnectionId: string;
  serverCallId: string;
  callbackUri: string;
  operationContext: string | undefined;
  state: ConnectionState;
  participantsSequence: number;
  /** How the connection was made: answering the call (its answer and GET name the parties) or connecting to it. */
  madeBy: "answer" | "connect";
  /** The answerer the answer request named (`answeredBy`), echoed in the answer response. */
  answeredBy: string | undefined;
  /** The media streaming subscription ACS creates with every connection (disabled until asked for). */
  mediaSubscriptionId: string;
}

export type RecordingState = "starting" | "active" | "paused" | "stopped";

export interface PauseInterval {
  start: Date;
  end: Date | undefined;
}

export interface Chunk {
  documentId: string;
  index: number;
  endReason: string;
  contentLocation: string;
  metadataLocation: string;
  deleteLocation: string;
  sizeBytes: number;
  sha256: string;
}

export interface Recording {
  recordingId: string;
  serverCallId: string;
  options: RecordingOptionsView;
  /** Where RecordingStateChanged goes: recordingStateCallbackUri, else the connection's callbackUri. */
  stateCallbackUri: string | undefined;
  /** The id its callbacks carry as callConnectionId: the recorder's own leg (the recordingId's PlatformEndpointId). */
  callConnectionId: string;
  state: RecordingState;
  /** False while paused, or before activation with pauseOnStart. */
  wantActive: boolean;
  activatedAt: Date | undefined;
  /** Start of the current unpaused stretch. */
  activeSince: Date | undefined;
  /** Audio recorded in closed stretches. */
  recordedMs: number;
  /** When the start request came in. */
  requestedAt: Date;
  /** A file is only produced if the recording was ever unpaused (pauseOnStart: docs/acs-payloads.md "Recording options"). */
  everActive: boolean;
  pauses: PauseInterval[];
  stoppedAt: Date | undefined;
  /** rawIds of everyone on the call while it ran, in joining order: those who left mid-call included. */
  participants: string[];
  chunks: Chunk[];
  activation: Timer | undefined;
  /** An injected `delay-state-event` fault: the next RecordingStateChanged is held back this long. */
  holdNextStateEventMs?: number | undefined;
}

export interface Call {
  serverCallId: string;
  correlationId: string;
  state: CallState;
  from: string;
  to: string;
  participants: Participant[];
  /** Who joins when the call is established (to, then any additional participants). */
  pendingParticipants: string[];
  connections: Map<string, Connection>;
  recordings: Recording[];
  incomingCallContext: string;
  rejectedWith: "none" | "busy" | "forbidden" | undefined;
  placedAt: Date;
  startedAt: Date | undefined;
  endedAt: Date | undefined;
  durationMs: number;
  recordingDurationMs: number | undefined;
  chunkMaxDurationMs: number;
  /** A chunk file's size limit (header included), if any beyond RIFF's 4 GiB. */
  chunkMaxBytes: number | undefined;
  /** How this call's RecordingFileStatusUpdated names it. */
  recordingEventForm: RecordingEventForm;
  /** How a bring-your-own-storage export of this call's recordings goes (PlaceCallRequest.customerStorageWrite). */
  customerStorageWrite: CustomerStorageWrite;
  timers: Timer[];
  /**
   * What each participant (by rawId) will answer the next recognize that targets them, in order (the test's
   * script: recognize.ts). Someone with nothing scripted stays silent.
   */
  recognizeAnswers: Map<string, RecognizeAnswer[]>;
  /** Every recognize asked on the call and how it ended, in order. */
  recognitions: Recognition[];
  /** Every play asked on the call, in order. */
  plays: Play[];
}

/** A play request: to everyone (`playTo` empty, as `playToAll` sends it) or to the participants it names. */
export interface Play {
  callConnectionId: string;
  operationContext: string | undefined;
  /** rawIds of the participants it was played to; empty: everyone on the call. */
  playTo: string[];
  requestedAt: Date;
}

/** A scripted answer to a recognize: tones pressed, words spoken, or nothing at all. */
export type RecognizeAnswer =
  | { kind: "dtmf"; tones: string[]; afterMs?: number | undefined }
  | { kind: "speech"; phrase: string; afterMs?: number | undefined }
  | { kind: "silent" };

export interface Recognition {
  callConnectionId: string;
  operationContext: string | undefined;
  /** rawId of the participant listened to. */
  target: string;
  inputType: "dtmf" | "speech" | "choices" | "speechOrDtmf";
  requestedAt: Date;
  /** The callback sent, once it is. */
  outcome?: "RecognizeCompleted" | "RecognizeFailed" | "RecognizeCanceled" | undefined;
  subCode?: number | undefined;
  endedAt?: Date | undefined;
  /** Cancels what is still pending (cancelAllMediaOperations, the call ending). */
  cancel?: (() => void) | undefined;
}
