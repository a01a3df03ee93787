// /calling/recordings*: start, get state, pause, resume, stop (docs/acs-payloads.md "REST calls the SDK makes").
import type { z } from "zod";
import { findCall, findConnection } from "../calls.js";
import { callNotFound, invalidRequest, recordingNotFound } from "../errors.js";
import type { Reply, SimRequest } from "../http.js";
import { rawIdOf } from "../identifiers.js";
import type { Recording } from "../model.js";
import * as recordings from "../recordings.js";
import type { Route } from "../router.js";
import { startRecordingRequest } from "../schemas.js";
import type { SimState } from "../state.js";
import type { RecordingOptionsView } from "../types.js";
import { parseBody } from "./parse.js";

const ID = "([^/:]+)";

function stateResponse(rec: Recording) {
  return {
    recordingId: rec.recordingId,
    recordingState: recordings.wireState(rec),
    recordingKind: "azureCommunicationServices",
  };
}

/**
 * Applies the documented defaults (audioVideo / mixed / mp4) and rejects combinations the formats table
 * (docs/acs-payloads.md "Recording options") does not offer. Defaults for partial audio options and the exact errors are unconfirmed.
 */
export function recordingOptions(body: z.infer<typeof startRecordingRequest>): RecordingOptionsView {
  const channel = body.recordingChannelType ?? "mixed";
  const impliesAudio =
    channel === "unmixed" || body.recordingFormatType === "wav" || body.recordingFormatType === "mp3";
  const content = body.recordingContentType ?? (impliesAudio ? "audio" : "audioVideo");
  const format = body.recordingFormatType ?? (content === "audioVideo" ? "mp4" : channel === "unmixed" ? "wav" : "mp3");
  if (content === "audioVideo" && (format !== "mp4" || channel !== "mixed")) {
    throw invalidRequest(
      "recordingContentType audioVideo requires recordingFormatType mp4 and recordingChannelType mixed.",
    );
  }
  if (content === "audio" && format === "mp4") {
    throw invalidRequest("recordingFormatType mp4 requires recordingContentType audioVideo.");
  }
  if (channel === "unmixed" && format !== "wav") {
    throw invalidRequest("recordingChannelType unmixed requires recordingFormatType wav.");
  }
  const ordering: string[] = [];
  const affinity: { channel: number; participant: string }[] = [];
  for (const [i, id] of (body.audioChannelParticipantOrdering ?? []).entries()) {
    const raw = rawIdOf(id);
    if (!raw) throw invalidRequest(`audioChannelParticipantOrdering.${i}: no identity.`);
    ordering.push(raw);
  }
  for (const [i, a] of (body.channelAffinity ?? []).entries()) {
    const raw = rawIdOf(a.participant);
    if (!raw) throw invalidRequest(`channelAffinity.${i}.participant: no identity.`);
    if (a.channel === undefined) ordering.push(raw);
    else affinity.push({ channel: a.channel, participant: raw });
  }
  if (new Set(affinity.map((a) => a.channel)).size !== affinity.length) {
    throw invalidRequest("channelAffinity: a channel is assigned twice.");
  }
  const view: RecordingOptionsView = {
    content,
    channel,
    format,
    pauseOnStart: body.pauseOnStart ?? false,
    audioChannelParticipantOrdering: ordering,
    channelAffinity: affinity,
    startedVia: body.callConnectionId !== undefined ? "callConnectionId" : "serverCallLocator",
  };
  if (body.externalStorage) view.externalStorage = { ...body.externalStorage };
  if (body.recordingStateCallbackUri) view.recordingStateCallbackUri = body.recordingStateCallbackUri;
  return view;
}

export function recordingRoutes(s: SimState): Route[] {
  const find = (req: SimRequest) => {
    const rec = s.recordings.get(req.params[0] ?? "");
    const call = rec ? s.calls.get(rec.serverCallId) : undefined;
    if (!rec || !call || rec.state === "stopped") throw recordingNotFound();
    req.trace.serverCallId = call.serverCallId;
    req.trace.correlationId = call.correlationId;
    if (req.fault?.kind === "delay-state-event") rec.holdNextStateEventMs = req.fault.latencyMs ?? 1000;
    return { rec, call };
  };
  return [
    {
      method: "POST",
      pattern: /^\/calling\/recordings$/,
      kind: "acs",
      operation: "startRecording",
      repeatable: true,
      handle(req): Reply {
        const body = parseBody(startRecordingRequest, req);
        const options = recordingOptions(body);
        let call;
        let connection;
        if (body.callConnectionId !== undefined) {
          ({ call, conn: connection } = findConnection(s, body.callConnectionId));
        } else {
          const locator = body.callLocator;
          if (!locator?.serverCallId || (locator.kind && locator.kind !== "serverCallLocator")) throw callNotFound();
          req.trace.serverCallId = locator.serverCallId;
          call = findCall(s, locator.serverCallId);
        }
        req.trace.serverCallId = call.serverCallId;
        req.trace.correlationId = call.correlationId;
        if (call.state !== "established") throw callNotFound();
        const rec = recordings.startRecording(s, call, options, connection, {
          failStart: req.fault?.kind === "start-recording-failed",
          ...(req.fault?.kind === "delay-state-event" ? { holdStateEventMs: req.fault.latencyMs ?? 1000 } : {}),
        });
        // Recorded (2025-08-15-preview): a start by callConnectionId answers 202, one by serverCallLocator 200.
        return { status: body.callConnectionId !== undefined ? 202 : 200, json: stateResponse(rec) };
      },
    },
    {
      method: "GET",
      pattern: new RegExp(`^/calling/recordings/${ID}$`),
      kind: "acs",
      operation: "getRecording",
      handle(req): Reply {
        return { status: 200, json: stateResponse(find(req).rec) };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/calling/recordings/${ID}:pause$`),
      kind: "acs",
      operation: "pauseRecording",
      handle(req): Reply {
        const { rec, call } = find(req);
        recordings.pauseRecording(s, call, rec);
        return { status: 202 };
      },
    },
    {
      method: "POST",
      pattern: new RegExp(`^/calling/recordings/${ID}:resume$`),
      kind: "acs",
      operation: "resumeRecording",
      handle(req): Reply {
        const { rec, call } = find(req);
        recordings.resumeRecording(s, call, rec);
        return { status: 202 };
      },
    },
    {
      method: "DELETE",
      pattern: new RegExp(`^/calling/recordings/${ID}$`),
      kind: "acs",
      operation: "stopRecording",
      handle(req): Reply {
        const { rec, call } = find(req);
        // sessionEndReason for an API stop is unconfirmed; "CallEnded" is used when the call ends.
        recordings.stopRecording(s, call, rec, "RecordingStopped");
        return { status: 204 };
      },
    },
  ];
}
