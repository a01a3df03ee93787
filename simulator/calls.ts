// Call lifecycle: the scenario (ring → start → end), and the call-connection operations of the REST API.
import { callNotFound, invalidRequest } from "./errors.js";
import * as cb from "./events/callback-events.js";
import * as eg from "./events/eventgrid-events.js";
import { isAcsVoipUser } from "./identifiers.js";
import { newIncomingCallContext, newServerCallId, newUuid } from "./ids.js";
import type { Call, Connection, Participant } from "./model.js";
import { stopRecording } from "./recordings.js";
import type { SimState } from "./state.js";
import type { PlaceCallRequest } from "./types.js";

const DEFAULT_DURATION_MS = 5000;

export function placeCall(s: SimState, req: PlaceCallRequest): Call {
  const call: Call = {
    serverCallId: newServerCallId(),
    correlationId: newUuid(),
    state: "ringing",
    from: req.from,
    to: req.to,
    participants: [{ rawId: req.from, participantId: newUuid(), joinedAt: new Date() }],
    pendingParticipants: [req.to, ...(req.additionalParticipants ?? [])],
    connections: new Map(),
    recordings: [],
    incomingCallContext: newIncomingCallContext(),
    rejectedWith: undefined,
    placedAt: new Date(),
    startedAt: undefined,
    endedAt: undefined,
    durationMs: req.durationMs ?? DEFAULT_DURATION_MS,
    recordingDurationMs: req.recordingDurationMs,
    chunkMaxDurationMs: req.chunkMaxDurationMs ?? s.opts.chunkMaxDurationMs,
    chunkMaxBytes: req.chunkMaxBytes ?? s.opts.chunkMaxBytes,
    recordingEventForm: req.recordingEventForm ?? s.nextRecordingEventForm(),
    customerStorageWrite: req.customerStorageWrite ?? "ok",
    timers: [],
    recognizeAnswers: new Map(),
    recognitions: [],
    plays: [],
  };
  s.calls.set(call.serverCallId, call);
  s.incomingContexts.set(call.incomingCallContext, call.serverCallId);
  if (req.eventGridDelivery === false) {
    s.silencedCalls.add(call.serverCallId);
    s.silencedCalls.add(call.correlationId);
  }
  if (req.eventGridDroppedTypes?.length) {
    const types = new Set(req.eventGridDroppedTypes);
    s.droppedTypes.set(call.serverCallId, types);
    s.droppedTypes.set(call.correlationId, types);
  }
  s.log({ msg: "call placed", serverCallId: call.serverCallId, from: call.from, to: call.to });
  s.emit(eg.incomingCall(call));
  s.later(call, s.opts.timings.ringMs, () => establish(s, call));
  return call;
}

/**
 * The callee picks up. Calling events other than IncomingCall exist only for ACS VoIP users (reference
 * §5.4): CallStarted/CallEnded only when the caller is one, CallParticipantAdded only for those
 * participants. (How the real service treats a PSTN caller's call-level events is unconfirmed.)
 */
function establish(s: SimState, call: Call): void {
  if (call.state !== "ringing") return;
  call.state = "established";
  call.startedAt = new Date();
  const joined = call.pendingParticipants.map((rawId) => ({ rawId, participantId: newUuid(), joinedAt: new Date() }));
  call.participants.push(...joined);
  call.pendingParticipants = [];
  s.log({ msg: "call established", serverCallId: call.serverCallId });
  if (isAcsVoipUser(call.from)) s.emit(eg.callStarted(call));
  for (const p of call.participants) if (isAcsVoipUser(p.rawId)) s.emit(eg.participantAdded(call, p));
  s.later(call, call.durationMs, () => endCall(s, call, { kind: "participant", rawId: call.from }));
}

/** Someone joins a live call, as in `establish`: their Event Grid event, and the new list to every connection. */
export function addParticipant(s: SimState, call: Call, rawId: string): Participant {
  if (call.state !== "established") throw new Error(`call ${call.serverCallId} is ${call.state}, not established`);
  if (call.participants.some((p) => p.rawId === rawId)) throw new Error(`${rawId} is already on the call`);
  const participant: Participant = { rawId, participantId: newUuid(), joinedAt: new Date() };
  call.participants.push(participant);
  // Someone who joins while a recording runs is in it (its metadata names them).
  for (const rec of call.recordings)
    if (rec.state !== "stopped" && !rec.participants.includes(rawId)) rec.participants.push(rawId);
  s.log({ msg: "participant joined", serverCallId: call.serverCallId, rawId });
  if (isAcsVoipUser(rawId)) s.emit(eg.participantAdded(call, participant));
  for (const conn of call.connections.values())
    if (conn.state === "connected") s.callback(conn.callbackUri, cb.participantsUpdated(call, conn));
  return participant;
}

/**
 * Someone leaves a live call: CallParticipantRemoved on Event Grid for an ACS VoIP user only, and to every connected
 * call connection a ParticipantsUpdated whose list no longer names them (docs/acs-payloads.md "Participants: who is
 * on the call, and who left"); phone and Teams parties are seen leaving through the lists alone. When one party
 * would be left alone, the call ends for everyone, as the recorded removal from a two-party call did. Recordings go on.
 */
export function removeParticipant(s: SimState, call: Call, rawId: string): void {
  if (call.state !== "established") throw new Error(`call ${call.serverCallId} is ${call.state}, not established`);
  const participant = call.participants.find((p) => p.rawId === rawId);
  if (!participant) throw new Error(`${rawId} is not on the call`);
  if (call.participants.length <= 2) {
    endCall(s, call, { kind: "participant", rawId });
    return;
  }
  call.participants = call.participants.filter((p) => p !== participant);
  s.log({ msg: "participant left", serverCallId: call.serverCallId, rawId });
  if (isAcsVoipUser(rawId)) s.emit(eg.participantRemoved(call, participant));
  for (const conn of call.connections.values())
    if (conn.state === "connected") s.callback(conn.callbackUri, cb.participantsUpdated(call, conn));
}

export function endCall(s: SimState, call: Call, endedBy: eg.EndedBy, byConnection?: Connection): void {
  if (call.state === "ended") return;
  const wasEstablished = call.state === "established";
  for (const t of call.timers) t.cancel();
  call.timers = [];
  call.state = "ended";
  call.endedAt = new Date();
  s.incomingContexts.delete(call.incomingCallContext);
  s.log({ msg: "call ended", serverCallId: call.serverCallId, endedBy: endedBy.kind });
  for (const rec of call.recordings) stopRecording(s, call, rec, "CallEnded");
  // ACS's own call log: everyone on the call at the end, and whoever a recording heard before they left.
  if (wasEstablished)
    s.diagnosticLogs?.callEnded(call, [
      ...new Set([...call.participants.map((p) => p.rawId), ...call.recordings.flatMap((r) => r.participants)]),
    ]);
  if (wasEstablished) {
    for (const p of call.participants) if (isAcsVoipUser(p.rawId)) s.emit(eg.participantRemoved(call, p));
    if (isAcsVoipUser(call.from)) s.emit(eg.callEnded(call, endedBy));
  }
  for (const conn of call.connections.values()) {
    if (conn.state === "disconnected") continue;
    conn.state = "disconnected";
    s.callback(conn.callbackUri, cb.callDisconnected(call, conn, conn === byConnection));
  }
}

export function findCall(s: SimState, serverCallId: string): Call {
  const call = s.calls.get(serverCallId);
  if (!call) throw callNotFound();
  return call;
}

/** A live call connection; a disconnected one is as gone as an unknown one. */
export function findConnection(s: SimState, callConnectionId: string): { call: Call; conn: Connection } {
  const conn = s.connections.get(callConnectionId);
  const call = conn ? s.calls.get(conn.serverCallId) : undefined;
  if (!conn || !call || conn.state === "disconnected") throw callNotFound();
  return { call, conn };
}

function openConnection(
  s: SimState,
  call: Call,
  callbackUri: string,
  operationContext: string | undefined,
  madeBy: Connection["madeBy"],
  answeredBy?: string,
) {
  const conn: Connection = {
    callConnectionId: newUuid(),
    serverCallId: call.serverCallId,
    callbackUri,
    operationContext,
    state: "connecting",
    participantsSequence: 0,
    madeBy,
    answeredBy,
    mediaSubscriptionId: newUuid(),
  };
  call.connections.set(conn.callConnectionId, conn);
  s.connections.set(conn.callConnectionId, conn);
  s.scheduler.after(s.opts.timings.connectMs, () => {
    if (conn.state !== "connecting" || call.state !== "established") return;
    conn.state = "connected";
    s.callback(conn.callbackUri, cb.callConnected(call, conn));
    s.callback(conn.callbackUri, cb.participantsUpdated(call, conn));
  });
  return conn;
}

/**
 * connect by serverCallId. A call that is still ringing answers 404 like an unknown one: what the real
 * service says before CallStarted is unconfirmed.
 */
export function connect(s: SimState, serverCallId: string, callbackUri: string, operationContext?: string) {
  const call = s.calls.get(serverCallId);
  if (!call || call.state !== "established") throw callNotFound();
  return { call, conn: openConnection(s, call, callbackUri, operationContext, "connect") };
}

/** answer with an IncomingCall's context: the call starts now, with our connection in it. */
export function answer(
  s: SimState,
  incomingCallContext: string,
  callbackUri: string,
  operationContext?: string,
  answeredBy?: string,
) {
  const call = ringingCall(s, incomingCallContext);
  establish(s, call);
  return { call, conn: openConnection(s, call, callbackUri, operationContext, "answer", answeredBy) };
}

/** reject: the ringing call ends without ever starting (no CallStarted, no CallEnded). */
export function reject(s: SimState, incomingCallContext: string, reason: "none" | "busy" | "forbidden"): Call {
  const call = ringingCall(s, incomingCallContext);
  call.rejectedWith = reason;
  endCall(s, call, { kind: "participant", rawId: call.to });
  return call;
}

function ringingCall(s: SimState, incomingCallContext: string): Call {
  const serverCallId = s.incomingContexts.get(incomingCallContext);
  const call = serverCallId ? s.calls.get(serverCallId) : undefined;
  if (!call) throw callNotFound();
  // The real answer for a context whose call was already answered is unconfirmed.
  if (call.state !== "ringing") throw invalidRequest("the incoming call is no longer ringing.");
  return call;
}

/** hangUp(false): only our leg leaves; the call and its recordings go on. */
export function hangUp(s: SimState, call: Call, conn: Connection): void {
  conn.state = "disconnected";
  s.callback(conn.callbackUri, cb.callDisconnected(call, conn, true));
}

/** hangUp(true): the call ends for everyone. */
export function terminate(s: SimState, call: Call, conn: Connection): void {
  endCall(s, call, { kind: "callAutomation" }, conn);
}

/**
 * A play to everyone, or with `playTo` to the participants it names only (CallMedia.play / playToAll of the SDK;
 * https://learn.microsoft.com/azure/communication-services/how-tos/call-automation/play-action). Its PlayStarted /
 * PlayCompleted carry the request's operationContext, on the playing connection's callback, as the recorded session
 * "Call_Media_Client_Live_Tests_Play_audio_to_target_participant" (Azure/azure-sdk-for-js) shows for a targeted play. The real service's answer for a `playTo` participant not on
 * the call is unconfirmed: refused here as recognize refuses such a target.
 */
export function play(
  s: SimState,
  call: Call,
  conn: Connection,
  operationContext: string | undefined,
  operationCallbackUri: string | undefined,
  playTo: string[] = [],
) {
  if (playTo.some((target) => !call.participants.some((p) => p.rawId === target)))
    throw invalidRequest("playTo names a participant who is not on the call.");
  call.plays.push({ callConnectionId: conn.callConnectionId, operationContext, playTo, requestedAt: new Date() });
  const uri = operationCallbackUri ?? conn.callbackUri;
  s.callback(uri, cb.playEvent(call, conn, "PlayStarted", operationContext));
  s.scheduler.after(s.opts.timings.connectMs, () => {
    if (conn.state === "disconnected") return;
    s.callback(uri, cb.playEvent(call, conn, "PlayCompleted", operationContext));
  });
}
