// The JSON-serialisable view of a call that tests and scripts inspect.
import type { Call } from "./model.js";
import type { ObjectStore } from "./objects.js";
import type { CallView } from "./types.js";

export function callView(call: Call, objects: ObjectStore): CallView {
  return {
    serverCallId: call.serverCallId,
    correlationId: call.correlationId,
    state: call.state,
    ...(call.rejectedWith ? { rejectedWith: call.rejectedWith } : {}),
    incomingCallContext: call.incomingCallContext,
    participants: call.participants.map((p) => p.rawId),
    recordingEventForm: call.recordingEventForm,
    recognitions: call.recognitions.map((r) => ({
      callConnectionId: r.callConnectionId,
      ...(r.operationContext !== undefined ? { operationContext: r.operationContext } : {}),
      target: r.target,
      inputType: r.inputType,
      requestedAt: r.requestedAt.toISOString(),
      ...(r.outcome ? { outcome: r.outcome } : {}),
      ...(r.subCode !== undefined ? { subCode: r.subCode } : {}),
      ...(r.endedAt ? { endedAt: r.endedAt.toISOString() } : {}),
    })),
    plays: call.plays.map((p) => ({
      callConnectionId: p.callConnectionId,
      ...(p.operationContext !== undefined ? { operationContext: p.operationContext } : {}),
      playTo: [...p.playTo],
      requestedAt: p.requestedAt.toISOString(),
    })),
    connections: [...call.connections.values()].map((c) => ({
      callConnectionId: c.callConnectionId,
      callbackUri: c.callbackUri,
      state: c.state,
    })),
    recordings: call.recordings.map((r) => ({
      recordingId: r.recordingId,
      state: r.state === "stopped" ? "stopped" : r.state === "active" ? "active" : "inactive",
      requestedAt: r.requestedAt.toISOString(),
      ...(r.activatedAt ? { activatedAt: r.activatedAt.toISOString() } : {}),
      options: structuredClone(r.options),
      chunks: r.chunks.map((c) => ({
        documentId: c.documentId,
        index: c.index,
        contentLocation: c.contentLocation,
        metadataLocation: c.metadataLocation,
        deleteLocation: c.deleteLocation,
        sizeBytes: c.sizeBytes,
        sha256: c.sha256,
        deleted: objects.get(c.documentId)?.deleted ?? true,
      })),
    })),
  };
}
