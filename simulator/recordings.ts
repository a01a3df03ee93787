// Recording lifecycle: start → (activation) → active ⇄ paused → stopped → chunks in storage → event.
import { createHash } from "node:crypto";
import type { Body } from "./body.js";
import { bufferBody, sha256Hex } from "./body.js";
import { planChunks } from "./chunks.js";
import type { ChunkToWrite } from "./customer-storage.js";
import { recordingInProgress } from "./errors.js";
import * as cb from "./events/callback-events.js";
import * as eg from "./events/eventgrid-events.js";
import { newDocumentId, newRecordingId, newUuid } from "./ids.js";
import { metadataDocument } from "./metadata.js";
import type { Call, Chunk, Connection, Recording } from "./model.js";
import type { SimState } from "./state.js";
import type { RecordingOptionsView } from "./types.js";
import type { AudioLayout } from "./wav.js";
import { framesWithinBytes, maxFramesPerFile, wavBytes, wavSize } from "./wav.js";

const MAX_UNMIXED_CHANNELS = 5;

export function startRecording(
  s: SimState,
  call: Call,
  options: RecordingOptionsView,
  connection: Connection | undefined,
  /**
   * Injected faults: `failStart` (start-recording-failed) — accepted now, StartRecordingFailed instead of
   * activation; `holdStateEventMs` (delay-state-event) — the first state event is held back this long.
   */
  injected: { failStart?: boolean; holdStateEventMs?: number } = {},
): Recording {
  // One recording session per call at a time; the real error for a second start is unconfirmed.
  if (call.recordings.some((r) => r.state !== "stopped")) throw recordingInProgress();
  const viaConnection = connection ?? [...call.connections.values()].find((c) => c.state !== "disconnected");
  // The recorder is a leg of its own: real RecordingStateChanged events carry as callConnectionId the
  // PlatformEndpointId inside the recordingId, which is neither party's nor our connection (see
  // docs/acs-payloads.md "State events and connections").
  const recorderLeg = newUuid();
  const rec: Recording = {
    recordingId: newRecordingId(recorderLeg),
    serverCallId: call.serverCallId,
    options,
    // Falling back to the connection's callbackUri is unconfirmed (docs/acs-payloads.md "Recording options").
    stateCallbackUri: options.recordingStateCallbackUri ?? viaConnection?.callbackUri,
    callConnectionId: recorderLeg,
    state: "starting",
    wantActive: !options.pauseOnStart,
    activatedAt: undefined,
    requestedAt: new Date(),
    activeSince: undefined,
    recordedMs: 0,
    everActive: false,
    pauses: [],
    stoppedAt: undefined,
    participants: call.participants.map((p) => p.rawId),
    chunks: [],
    activation: undefined,
    holdNextStateEventMs: injected.holdStateEventMs,
  };
  call.recordings.push(rec);
  s.recordings.set(rec.recordingId, rec);
  if (injected.failStart) {
    rec.activation = s.scheduler.after(s.opts.timings.recordingActivationMs, () => failToStart(s, call, rec));
    s.log({ msg: "recording start will fail", serverCallId: call.serverCallId, recordingId: rec.recordingId });
    return rec;
  }
  // Real ACS reports every new recording `inactive`, with startDateTime 0001-01-01T00:00:00+00:00, before it
  // reports it `active` (recorded live session "CallRecording_Live_Tests_Creates_a_call,_start_recording,_and_hangs_up").
  s.scheduler.after(0, () => {
    if (rec.state === "starting") sendState(s, call, rec, "inactive");
  });
  rec.activation = s.scheduler.after(s.opts.timings.recordingActivationMs, () => activate(s, call, rec));
  s.log({ msg: "recording started", serverCallId: call.serverCallId, recordingId: rec.recordingId });
  return rec;
}

function activate(s: SimState, call: Call, rec: Recording): void {
  if (rec.state !== "starting") return;
  const now = new Date();
  rec.activatedAt = now;
  if (rec.wantActive) {
    rec.state = "active";
    rec.activeSince = now;
    rec.everActive = true;
    sendState(s, call, rec, "active");
  } else {
    // pauseOnStart: it stays inactive; the initial `inactive` already said so (no second event is sent).
    rec.state = "paused";
    rec.pauses.push({ start: now, end: undefined });
  }
}

/**
 * A start ACS accepted but could not carry out: the recording never becomes active, is gone (getState 404), and
 * StartRecordingFailed (SDK ≥ 1.5) goes where RecordingStateChanged would. Its resultInformation is unconfirmed.
 */
function failToStart(s: SimState, call: Call, rec: Recording): void {
  if (rec.state !== "starting") return;
  rec.state = "stopped";
  rec.stoppedAt = new Date();
  s.callback(rec.stateCallbackUri, cb.startRecordingFailed(call, rec));
  s.log({ msg: "recording start failed", serverCallId: call.serverCallId, recordingId: rec.recordingId });
}

/** A RecordingStateChanged of the recording, held back if a fault asked for it. */
function sendState(s: SimState, call: Call, rec: Recording, state: "active" | "inactive"): void {
  const delayMs = rec.holdNextStateEventMs;
  rec.holdNextStateEventMs = undefined;
  s.callback(rec.stateCallbackUri, cb.recordingStateChanged(call, rec, state), delayMs);
}

/** The wire recordingState: anything but an unpaused, activated recording is "inactive". */
export function wireState(rec: Recording): "active" | "inactive" {
  return rec.state === "active" ? "active" : "inactive";
}

export function pauseRecording(s: SimState, call: Call, rec: Recording): void {
  rec.wantActive = false;
  if (rec.state !== "active") return;
  const now = new Date();
  closeStretch(rec, now);
  rec.state = "paused";
  rec.pauses.push({ start: now, end: undefined });
  sendState(s, call, rec, "inactive");
}

export function resumeRecording(s: SimState, call: Call, rec: Recording): void {
  rec.wantActive = true;
  if (rec.state !== "paused") return;
  const now = new Date();
  const open = rec.pauses[rec.pauses.length - 1];
  if (open && !open.end) open.end = now;
  rec.state = "active";
  rec.activeSince = now;
  rec.everActive = true;
  sendState(s, call, rec, "active");
}

function closeStretch(rec: Recording, now: Date): void {
  if (rec.activeSince) rec.recordedMs += now.getTime() - rec.activeSince.getTime();
  rec.activeSince = undefined;
}

/** Stops a recording (API stop or end of call); the file appears after fileStatusDelayMs. */
export function stopRecording(s: SimState, call: Call, rec: Recording, sessionEndReason: string): void {
  if (rec.state === "stopped") return;
  const now = new Date();
  rec.activation?.cancel();
  if (rec.state === "active") closeStretch(rec, now);
  const open = rec.pauses[rec.pauses.length - 1];
  if (open && !open.end) open.end = now;
  rec.state = "stopped";
  rec.stoppedAt = now;
  sendState(s, call, rec, "inactive");
  s.log({ msg: "recording stopped", serverCallId: call.serverCallId, recordingId: rec.recordingId });
  // No file unless the recording was ever unpaused (pauseOnStart: docs/acs-payloads.md "Recording options").
  if (!rec.everActive || !rec.activatedAt) return;
  s.scheduler.after(s.opts.timings.fileStatusDelayMs, () => publishFiles(s, call, rec, sessionEndReason));
}

/** Participant rawId → channel: channelAffinity first, then audioChannelParticipantOrdering, then joining order. */
export function assignChannels(
  participants: string[],
  options: Pick<RecordingOptionsView, "audioChannelParticipantOrdering" | "channelAffinity">,
): Map<string, number> {
  const map = new Map<string, number>();
  const used = new Set<number>();
  for (const a of options.channelAffinity) {
    if (participants.includes(a.participant) && !map.has(a.participant) && !used.has(a.channel)) {
      map.set(a.participant, a.channel);
      used.add(a.channel);
    }
  }
  const rest = [...options.audioChannelParticipantOrdering.filter((p) => participants.includes(p)), ...participants];
  let next = 0;
  for (const p of rest) {
    if (map.has(p)) continue;
    while (used.has(next)) next++;
    if (next >= MAX_UNMIXED_CHANNELS) break;
    map.set(p, next);
    used.add(next);
  }
  return map;
}

export function contentKind(options: RecordingOptionsView): string {
  // Only "audiowavmultichannel" (unmixed wav) and "video" (mp4) are confirmed; the others are guesses.
  if (options.format === "mp4") return "video";
  if (options.format === "mp3") return "audiomp3";
  return options.channel === "unmixed" ? "audiowavmultichannel" : "audiowav";
}

function layoutFor(participants: string[], rec: Recording) {
  if (rec.options.channel === "mixed") {
    const layout: AudioLayout = { speakers: participants.length, channels: [participants.map((_, i) => i)] };
    return { layout, channelOf: undefined };
  }
  const channelOf = assignChannels(participants, rec.options);
  const count = Math.max(0, ...channelOf.values()) + 1;
  const channels: number[][] = Array.from({ length: count }, () => []);
  participants.forEach((p, i) => {
    const c = channelOf.get(p);
    if (c !== undefined) channels[c]?.push(i);
  });
  return { layout: { speakers: participants.length, channels }, channelOf };
}

async function publishFiles(s: SimState, call: Call, rec: Recording, sessionEndReason: string): Promise<void> {
  if (!rec.activatedAt || !rec.stoppedAt) return;
  const participants = rec.participants;
  const { layout, channelOf } = layoutFor(participants, rec);
  const totalMs = call.recordingDurationMs ?? rec.recordedMs;
  const plans = planChunks({
    activatedAt: rec.activatedAt,
    stoppedAt: rec.stoppedAt,
    pauses: rec.pauses.map((p) => ({ start: p.start, end: p.end ?? p.start })),
    totalMs,
    chunkMaxMs: call.chunkMaxDurationMs,
    maxFramesPerChunk: Math.min(
      maxFramesPerFile(layout),
      call.chunkMaxBytes === undefined ? Infinity : framesWithinBytes(layout, call.chunkMaxBytes),
    ),
  });
  const kind = contentKind(rec.options);
  const chunks: Chunk[] = [];
  const toExport: ChunkToWrite[] = [];
  for (const plan of plans) {
    const documentId = newDocumentId();
    // mp3/mp4 recordings are served as WAV bodies too (a known gap, see README).
    const spec = { layout, frames: plan.frames, shiftFrames: shiftFor(documentId) };
    const content: Body = { size: wavSize(spec), read: (start, end) => wavBytes(spec, start, end) };
    const sha256 = await sha256Hex(content);
    if (s.scheduler.isStopped) return;
    const metadata = metadataDocument({
      resourceId: s.opts.resourceId,
      callId: call.correlationId,
      documentId,
      plan,
      options: rec.options,
      channels: layout.channels.length,
      participants: participants.map((participantId) => {
        const channel = channelOf?.get(participantId);
        return channel === undefined ? { participantId } : { participantId, channel };
      }),
    });
    s.objects.put({
      documentId,
      serverCallId: call.serverCallId,
      contentKind: kind,
      content,
      metadata: bufferBody(Buffer.from(JSON.stringify(metadata))),
      sha256,
      deleted: false,
    });
    toExport.push({
      index: plan.index,
      documentId,
      contentKind: kind,
      extension: rec.options.format,
      content,
      metadata: Buffer.from(JSON.stringify(metadata)),
    });
    chunks.push({
      documentId,
      index: plan.index,
      endReason: plan.endReason,
      ...s.objects.locations(documentId, kind),
      sizeBytes: content.size,
      sha256,
    });
  }
  if (chunks.length === 0) return;
  rec.chunks = chunks;
  s.log({ msg: "recording files ready", recordingId: rec.recordingId, chunks: chunks.length, totalMs });
  const exported = await exportToCustomer(s, call, rec, toExport);
  if (s.scheduler.isStopped) return;
  s.emit(eg.recordingFileStatusUpdated(call, rec, chunks, rec.activatedAt, totalMs, sessionEndReason, exported));
  s.diagnosticLogs?.recordingReady(call, rec, chunks.length, totalMs, sessionEndReason);
}

/**
 * Bring your own storage: writes the chunks into the container the start request named, with ACS's identity
 * (options.customerStorage). True when written, false when the export failed (refused, injected, or no identity
 * configured), undefined when the recording was not started with external storage. ACS keeps its own copy either
 * way (the BYOS overview's known issue), so the download locations stay valid.
 */
async function exportToCustomer(
  s: SimState,
  call: Call,
  rec: Recording,
  chunks: ChunkToWrite[],
): Promise<boolean | undefined> {
  const external = rec.options.externalStorage;
  if (external?.recordingStorageKind !== "azureBlobStorage" || !external.recordingDestinationContainerUrl)
    return undefined;
  const writer = s.customerStorage;
  const result = writer
    ? await writer
        .write({
          containerUrl: external.recordingDestinationContainerUrl,
          recordingStartTime: rec.activatedAt ?? new Date(),
          callId: call.correlationId,
          recordingId: rec.recordingId,
          chunks,
          mode: call.customerStorageWrite,
        })
        .catch((error: unknown) => ({ ok: false as const, reason: String(error) }))
    : { ok: false as const, reason: "no customer storage identity configured" };
  if (result.ok)
    s.log({ msg: "recording exported to customer storage", recordingId: rec.recordingId, blobs: result.blobs });
  else
    s.log({ msg: "recording export to customer storage failed", recordingId: rec.recordingId, reason: result.reason });
  return result.ok;
}

/** A per-chunk starting point in the conversation cycle, so two chunks of equal length differ. */
function shiftFor(documentId: string): number {
  return createHash("sha256").update(documentId).digest().readUInt32LE(0);
}
