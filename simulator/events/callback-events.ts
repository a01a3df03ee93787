// Call Automation callback `data` shapes (docs/acs-payloads.md "Callbacks").
import { identifierFromRawId } from "../identifiers.js";
import type { Call, Connection, Recording } from "../model.js";

export interface CallbackMessage {
  name: string;
  source: string;
  data: Record<string, unknown>;
}

const OK = { code: 200, subCode: 0, message: "" };

function connectionFields(call: Call, conn: Connection) {
  return {
    callConnectionId: conn.callConnectionId,
    serverCallId: call.serverCallId,
    correlationId: call.correlationId,
  };
}

function source(conn: Connection): string {
  return `calling/callConnections/${conn.callConnectionId}`;
}

export function callConnected(call: Call, conn: Connection): CallbackMessage {
  return {
    name: "CallConnected",
    source: source(conn),
    data: { ...connectionFields(call, conn), operationContext: conn.operationContext, resultInformation: OK },
  };
}

/** subCode 7000: this leg was ended through the API; 5001: the conversation ended (docs/acs-payloads.md "Callbacks"). */
export function callDisconnected(call: Call, conn: Connection, byThisLeg: boolean): CallbackMessage {
  const resultInformation = byThisLeg
    ? {
        code: 200,
        subCode: 7000,
        message:
          "Call was ended by Azure Communication Service Call Automation API or a server bot. DiagCode: 0#7000.@",
      }
    : { code: 200, subCode: 5001, message: "This conversation has ended.. DiagCode: 0#5001.@" };
  return {
    name: "CallDisconnected",
    source: source(conn),
    data: { ...connectionFields(call, conn), operationContext: conn.operationContext, resultInformation },
  };
}

export function participantsUpdated(call: Call, conn: Connection): CallbackMessage {
  conn.participantsSequence += 1;
  return {
    name: "ParticipantsUpdated",
    source: source(conn),
    data: {
      ...connectionFields(call, conn),
      participants: call.participants.map((p) => ({
        identifier: identifierFromRawId(p.rawId),
        isMuted: false,
        isOnHold: false,
      })),
      sequenceNumber: conn.participantsSequence,
      resultInformation: OK,
    },
  };
}

/** The real service sends a placeholder startDateTime before the recording has started (docs/acs-payloads.md "Callbacks"). */
export function recordingStateChanged(call: Call, rec: Recording, state: "active" | "inactive"): CallbackMessage {
  return {
    name: "RecordingStateChanged",
    source: `calling/recordings/${call.serverCallId}/${rec.recordingId}/RecordingStateChanged`,
    data: {
      recordingId: rec.recordingId,
      state,
      startDateTime: rec.activatedAt ? rec.activatedAt.toISOString() : "0001-01-01T00:00:00+00:00",
      recordingKind: "azureCommunicationServices",
      resultInformation: OK,
      callConnectionId: rec.callConnectionId,
      serverCallId: call.serverCallId,
      correlationId: call.correlationId,
    },
  };
}

/** StartRecordingFailed (SDK ≥ 1.5): the common callback fields and recordingId; its result codes are unconfirmed. */
export function startRecordingFailed(call: Call, rec: Recording): CallbackMessage {
  return {
    name: "StartRecordingFailed",
    source: `calling/recordings/${call.serverCallId}/${rec.recordingId}/StartRecordingFailed`,
    data: {
      recordingId: rec.recordingId,
      resultInformation: { code: 500, subCode: 8500, message: "Recording could not be started (simulated)." },
      callConnectionId: rec.callConnectionId,
      serverCallId: call.serverCallId,
      correlationId: call.correlationId,
    },
  };
}

export function playEvent(
  call: Call,
  conn: Connection,
  name: "PlayStarted" | "PlayCompleted",
  operationContext: string | undefined,
): CallbackMessage {
  return {
    name,
    source: source(conn),
    data: {
      ...connectionFields(call, conn),
      operationContext,
      resultInformation:
        name === "PlayCompleted" ? { code: 200, subCode: 0, message: "Action completed successfully." } : OK,
    },
  };
}

/** What a completed recognize heard (the SDK's RecognizeCompleted: docs/acs-payloads.md "Recognize"). */
export interface RecognizeHeard {
  recognitionType: "dtmf" | "speech" | "choices";
  dtmfResult?: { tones: string[] };
  speechResult?: { speech: string };
  choiceResult?: { label: string; recognizedPhrase?: string };
  subCode: number;
}

const RECOGNIZE_COMPLETED_MESSAGES: Record<number, string> = {
  8531: "Action completed, max digits received.",
  8514: "Action completed as stop tone was detected.",
  8533: "Action completed, DTMF option matched.",
  8545: "Action completed, speech option matched.",
};

export function recognizeCompleted(
  call: Call,
  conn: Connection,
  operationContext: string | undefined,
  heard: RecognizeHeard,
): CallbackMessage {
  const { subCode, ...result } = heard;
  return {
    name: "RecognizeCompleted",
    source: source(conn),
    data: {
      ...connectionFields(call, conn),
      operationContext,
      ...result,
      resultInformation: { code: 200, subCode, message: RECOGNIZE_COMPLETED_MESSAGES[subCode] ?? "" },
    },
  };
}

/** Failures carry 400, as the recorded PlayCanceled does (docs/acs-payloads.md "Recognize": unconfirmed for recognize). */
export function recognizeFailed(
  call: Call,
  conn: Connection,
  operationContext: string | undefined,
  failure: { subCode: number; message: string },
): CallbackMessage {
  return {
    name: "RecognizeFailed",
    source: source(conn),
    data: {
      ...connectionFields(call, conn),
      operationContext,
      resultInformation: { code: 400, subCode: failure.subCode, message: failure.message },
    },
  };
}

/** As the recorded PlayCanceled (code 400, subCode 8508, its message spelt as recorded). */
export function recognizeCanceled(call: Call, conn: Connection, operationContext: string | undefined): CallbackMessage {
  return {
    name: "RecognizeCanceled",
    source: source(conn),
    data: {
      ...connectionFields(call, conn),
      operationContext,
      resultInformation: { code: 400, subCode: 8508, message: "Action falied, the operation was cancelled." },
    },
  };
}
