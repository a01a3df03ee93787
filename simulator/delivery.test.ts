// Event Grid deliveries and signed callbacks, received by a local HTTP endpoint.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TOPIC } from "./delivery/eventgrid.js";
import { RECORDING_EVENT_FORMS } from "./state.js";
import type { Received, Receiver } from "./test-support/receiver.js";
import { startReceiver } from "./test-support/receiver.js";
import { CALLEE, CALLER, PSTN, RESOURCE_ID, sdkClient, startTestSimulator, waitFor } from "./test-support/fixtures.js";
import type { RunningSimulator } from "./types.js";

interface EgEvent {
  id: string;
  topic: string;
  subject: string;
  data: Record<string, unknown>;
  eventType: string;
  eventTime: string;
  dataVersion: string;
  metadataVersion: string;
}

let rx: Receiver;
/**
 * One simulator for the file (each start makes an RSA signing key): subscribed to `/eg` from its start, which
 * the tests find in place; a test that subscribes elsewhere puts it back. Every call's events are told apart by
 * its serverCallId or correlationId.
 */
let s: RunningSimulator;
/** The handshake `s` made when it started. */
let handshake: Received | undefined;
/** The simulator's log lines (its deliveries: "delivered", "delivery dropped", …). */
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  rx = await startReceiver();
  s = await startTestSimulator({ eventGridUrl: `${rx.url}/eg`, log: (line) => logs.push(line) });
  handshake = rx.received[0];
});
afterAll(async () => {
  await s?.stop();
  await rx.close();
});
afterEach(() => {
  rx.received.length = 0;
  rx.handshake = "echo";
});

/**
 * Waits until every Event Grid event the simulator published before now has had its first delivery attempt at
 * `path`: deliveries to one endpoint start one at a time in the order the events happened, so a marker
 * published now arrives after all of them. (A marker call that rings, ended before it is answered.)
 */
async function deliveredSoFar(path: string): Promise<void> {
  const marker = await s.placeCall({ from: PSTN, to: CALLEE, durationMs: 60_000 });
  await s.endCall(marker.serverCallId);
  await rx.waitFor(() => ofCall(path, marker.serverCallId).length > 0);
}

function events(path: string): { event: EgEvent; req: Received }[] {
  return rx
    .notifications()
    .filter((r) => r.path === path)
    .flatMap((req) => (req.json as EgEvent[]).map((event) => ({ event, req })));
}

/** A call's events; a recording event names the call by its correlationId (ACS's call id), not its serverCallId. */
function ofCall(path: string, serverCallId: string) {
  const correlationId = s.getCall(serverCallId)?.correlationId;
  return events(path).filter(({ event }) =>
    event.eventType === "Microsoft.Communication.RecordingFileStatusUpdated"
      ? event.subject === `/recording/call/${correlationId}` ||
        event.subject.startsWith(`/recording/call/${correlationId}/`)
      : event.data.serverCallId === serverCallId,
  );
}

describe("Event Grid", () => {
  it("validates the subscription first, then posts Event Grid schema arrays", async () => {
    expect(handshake?.headers["aeg-event-type"]).toBe("SubscriptionValidation");
    const [validation] = handshake?.json as EgEvent[];
    expect(validation).toMatchObject({
      eventType: "Microsoft.EventGrid.SubscriptionValidationEvent",
      subject: "",
      dataVersion: "1",
      metadataVersion: "1",
      data: { validationCode: expect.any(String), validationUrl: expect.stringMatching(/^http/) },
    });

    const { serverCallId, correlationId } = await s.placeCall({ from: CALLER, to: CALLEE, durationMs: 300 });
    await rx.waitFor(() => ofCall("/eg", serverCallId).some(({ event }) => event.eventType.endsWith("CallEnded")));
    const seen = ofCall("/eg", serverCallId);
    expect(seen.map(({ event }) => event.eventType.replace("Microsoft.Communication.", ""))).toEqual([
      "IncomingCall",
      "CallStarted",
      "CallParticipantAdded",
      "CallParticipantAdded",
      "CallParticipantRemoved",
      "CallParticipantRemoved",
      "CallEnded",
    ]);
    for (const { event, req } of seen) {
      expect(req.headers["content-type"]).toBe("application/json; charset=utf-8");
      expect(req.headers["aeg-event-type"]).toBe("Notification");
      expect(req.headers["aeg-subscription-name"]).toBe("RECORDER-SIMULATOR");
      expect(req.headers["aeg-delivery-count"]).toBe("0");
      expect(req.headers["aeg-data-version"]).toBe("1.0");
      expect(req.headers["aeg-metadata-version"]).toBe("1");
      expect(event).toMatchObject({ topic: TOPIC, dataVersion: "1.0", metadataVersion: "1" });
      expect(Object.keys(event).sort()).toEqual(
        ["data", "dataVersion", "eventTime", "eventType", "id", "metadataVersion", "subject", "topic"].sort(),
      );
      expect(new Date(event.eventTime).toISOString()).toBe(event.eventTime);
    }
    const byType = (t: string) =>
      seen.filter(({ event }) => event.eventType === `Microsoft.Communication.${t}`).map((x) => x.event);
    const caller = { kind: "communicationUser", rawId: CALLER, communicationUser: { id: CALLER } };
    const callee = { kind: "communicationUser", rawId: CALLEE, communicationUser: { id: CALLEE } };

    const [incoming] = byType("IncomingCall");
    expect(incoming?.subject).toBe(`/caller/${CALLER}/recipient/${CALLEE}`);
    expect(incoming?.data).toEqual({
      to: callee,
      from: caller,
      serverCallId,
      callerDisplayName: expect.any(String),
      incomingCallContext: expect.stringMatching(/^[\w-]+\.[\w-]+\.$/),
      correlationId,
    });
    const [started] = byType("CallStarted");
    expect(started?.subject).toBe(`call/${serverCallId}/startedBy/${CALLER}`);
    expect(started?.data).toMatchObject({
      startedBy: { communicationIdentifier: caller, role: expect.any(String) },
      serverCallId,
      isTwoParty: true,
      correlationId,
    });
    const added = byType("CallParticipantAdded");
    expect(added.map((e) => e.subject)).toEqual([
      `call/${serverCallId}/participant/${CALLER}`,
      `call/${serverCallId}/participant/${CALLEE}`,
    ]);
    expect(added[1]?.data).toMatchObject({
      user: { communicationIdentifier: callee, role: expect.any(String) },
      displayName: expect.any(String),
      participantId: expect.any(String),
      userAgent: expect.any(String),
      serverCallId,
      correlationId,
    });
    const [ended] = byType("CallEnded");
    expect(ended?.subject).toBe(`call/${serverCallId}`);
    expect(ended?.data).toMatchObject({
      endedBy: { communicationIdentifier: caller, type: "Participant", name: expect.any(String) },
      reason: { code: expect.any(Number), subCode: expect.any(Number), phrase: expect.any(String) },
      callDurationInSeconds: expect.any(Number),
      serverCallId,
    });
    expect(ended?.data.callDurationInSeconds as number).toBeGreaterThanOrEqual(0.25);
  });

  it("sends a PSTN caller's call only IncomingCall and the ACS participant's own events", async () => {
    const { serverCallId } = await s.placeCall({ from: PSTN, to: CALLEE, durationMs: 100 });
    await waitFor(() => s.getCall(serverCallId)?.state === "ended");
    await deliveredSoFar("/eg");
    const seen = ofCall("/eg", serverCallId).map(({ event }) => [
      event.eventType.replace("Microsoft.Communication.", ""),
      event.subject,
    ]);
    expect(seen).toEqual([
      ["IncomingCall", `/caller/${PSTN}/recipient/${CALLEE}`],
      ["CallParticipantAdded", `call/${serverCallId}/participant/${CALLEE}`],
      ["CallParticipantRemoved", `call/${serverCallId}/participant/${CALLEE}`],
    ]);
    const incoming = ofCall("/eg", serverCallId)[0]?.event;
    expect(incoming?.data.from).toEqual({
      kind: "phoneNumber",
      rawId: PSTN,
      phoneNumber: { value: "+14255550123", isAnonymous: false },
    });
  });

  it("publishes RecordingFileStatusUpdated with every chunk field, split into chunks", async () => {
    const { serverCallId, correlationId } = await s.placeCall({
      from: CALLER,
      to: CALLEE,
      durationMs: 60_000,
      recordingDurationMs: 2500,
      chunkMaxDurationMs: 1000,
      recordingEventForm: "server-call-id+recording-id",
    });
    await waitFor(() => s.getCall(serverCallId)?.state === "established");
    const recording = sdkClient(s).getCallRecording();
    const { recordingId } = await recording.start({
      callLocator: { kind: "serverCallLocator", id: serverCallId },
      recordingContent: "audio",
      recordingChannel: "unmixed",
      recordingFormat: "wav",
    });
    await waitFor(() => s.getCall(serverCallId)?.recordings[0]?.state === "active");
    await s.endCall(serverCallId);
    await rx.waitFor(() =>
      ofCall("/eg", serverCallId).some(({ event }) => event.eventType.endsWith("RecordingFileStatusUpdated")),
    );
    const { event } = ofCall("/eg", serverCallId).find(({ event }) =>
      event.eventType.endsWith("RecordingFileStatusUpdated"),
    )!;
    expect(event.subject).toBe(
      `/recording/call/${correlationId}/serverCallId/${serverCallId}/recordingId/${recordingId}`,
    );
    const data = event.data as {
      recordingStorageInfo: { recordingChunks: Record<string, unknown>[] };
      [k: string]: unknown;
    };
    expect(data).toMatchObject({
      recordingStartTime: expect.any(String),
      recordingDurationMs: 2500,
      recordingContentType: "Audio",
      recordingChannelType: "Unmixed",
      recordingFormatType: "Wav",
      sessionEndReason: "CallEnded",
    });
    const chunks = data.recordingStorageInfo.recordingChunks;
    expect(chunks.map((c) => [c.index, c.endReason])).toEqual([
      [0, "ChunkMaximumSizeExceeded"],
      [1, "ChunkMaximumSizeExceeded"],
      [2, "SessionEnded"],
    ]);
    const view = s.getCall(serverCallId)?.recordings[0]?.chunks ?? [];
    for (const [i, c] of chunks.entries()) {
      expect(Object.keys(c).sort()).toEqual([
        "contentLocation",
        "deleteLocation",
        "documentId",
        "endReason",
        "index",
        "metadataLocation",
      ]);
      expect(c).toMatchObject({
        documentId: view[i]?.documentId,
        contentLocation: view[i]?.contentLocation,
        metadataLocation: view[i]?.metadataLocation,
        deleteLocation: view[i]?.deleteLocation,
      });
    }
    expect(view.map((c) => c.sizeBytes)).toEqual([44 + 1000 * 64, 44 + 1000 * 64, 44 + 500 * 64]);
    expect(new Set(view.map((c) => c.sha256)).size).toBe(3);
    // Chunk metadata: chunk durations and indexes.
    const meta = await recording.downloadStreaming(view[2]!.metadataLocation);
    const parts: Buffer[] = [];
    for await (const p of meta) parts.push(Buffer.from(p as Buffer));
    expect(JSON.parse(Buffer.concat(parts).toString())).toMatchObject({
      chunkIndex: 2,
      chunkDuration: 500,
      chunkDocumentId: view[2]!.documentId,
    });
  });

  it.each([
    ["call-id", (c: string) => `/recording/call/${c}`, false],
    ["server-call-id", (c: string, s: string) => `/recording/call/${c}/serverCallId/${s}`, false],
    ["server-call-id+data", (c: string, s: string) => `/recording/call/${c}/serverCallId/${s}`, true],
    [
      "server-call-id+recording-id",
      (c: string, s: string, r: string) => `/recording/call/${c}/serverCallId/${s}/recordingId/${r}`,
      false,
    ],
    ["recording-id", (c: string, _s: string, r: string) => `/recording/call/${c}/recordingId/${r}`, false],
  ] as const)("names the call's recording in the documented form asked for: %s", async (form, subjectOf, inData) => {
    const { serverCallId, correlationId } = await s.placeCall({
      from: CALLER,
      to: CALLEE,
      durationMs: 60_000,
      recordingDurationMs: 1000,
      recordingEventForm: form,
    });
    expect(s.getCall(serverCallId)?.recordingEventForm).toBe(form);
    await waitFor(() => s.getCall(serverCallId)?.state === "established");
    const recording = sdkClient(s).getCallRecording();
    const { recordingId } = await recording.start({ callLocator: { kind: "serverCallLocator", id: serverCallId } });
    await waitFor(() => s.getCall(serverCallId)?.recordings[0]?.state === "active");
    await s.endCall(serverCallId);
    await rx.waitFor(() =>
      ofCall("/eg", serverCallId).some(({ event }) => event.eventType.endsWith("RecordingFileStatusUpdated")),
    );
    const { event } = ofCall("/eg", serverCallId).find(({ event }) =>
      event.eventType.endsWith("RecordingFileStatusUpdated"),
    )!;
    // ACS's call id is the call's correlationId: never its serverCallId, never an id of ours.
    expect(correlationId).not.toBe(serverCallId);
    expect(event.subject).toBe(subjectOf(correlationId, serverCallId, recordingId));
    if (inData) expect(event.data).toMatchObject({ recordingId, storageType: "acsstorage" });
    else expect(Object.keys(event.data)).not.toContain("recordingId");
    // The metadata document names the same call id.
    const chunk = s.getCall(serverCallId)!.recordings[0]!.chunks[0]!;
    const parts: Buffer[] = [];
    for await (const p of await recording.downloadStreaming(chunk.metadataLocation))
      parts.push(Buffer.from(p as Buffer));
    expect(JSON.parse(Buffer.concat(parts).toString())).toMatchObject({ callId: correlationId });
  });

  it("publishes each recording of a restarted call on its own, with its own id and chunks", async () => {
    const { serverCallId } = await s.placeCall({
      from: CALLER,
      to: CALLEE,
      durationMs: 60_000,
      recordingDurationMs: 1000,
      recordingEventForm: "server-call-id",
    });
    await waitFor(() => s.getCall(serverCallId)?.state === "established");
    const recording = sdkClient(s).getCallRecording();
    const locator = { callLocator: { kind: "serverCallLocator" as const, id: serverCallId } };
    const first = await recording.start(locator);
    await waitFor(() => s.getCall(serverCallId)?.recordings[0]?.state === "active");
    await recording.stop(first.recordingId);
    const second = await recording.start(locator);
    await waitFor(() => s.getCall(serverCallId)?.recordings[1]?.state === "active");
    await s.endCall(serverCallId);
    const published = () =>
      ofCall("/eg", serverCallId).filter(({ event }) => event.eventType.endsWith("RecordingFileStatusUpdated"));
    await rx.waitFor(() => published().length === 2);
    expect(second.recordingId).not.toBe(first.recordingId);
    const documents = published().map(
      ({ event }) =>
        (event.data as { recordingStorageInfo: { recordingChunks: { documentId: string }[] } }).recordingStorageInfo
          .recordingChunks[0]?.documentId,
    );
    expect(new Set(documents).size).toBe(2);
    const view = s.getCall(serverCallId)!.recordings;
    expect(view.map((r) => r.chunks[0]?.documentId).sort()).toEqual([...documents].sort());
  });

  it("retries failed deliveries and drops those Event Grid never retries", async () => {
    rx.failNextOf("Microsoft.Communication.IncomingCall", 500, 503, 400);
    const { serverCallId } = await s.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
    // IncomingCall: 500, then 503, then 400 → dropped. CallStarted etc. arrive normally.
    const incomingId = (await waitFor(() => ofCall("/eg", serverCallId)[0]?.event))?.id;
    await waitFor(() => logs.some((line) => line.msg === "delivery dropped" && line.id === incomingId));
    await rx.waitFor(
      () =>
        ofCall("/eg", serverCallId).filter(({ event }) => event.eventType.endsWith("CallParticipantAdded")).length ===
        2,
    );
    const incoming = ofCall("/eg", serverCallId).filter(({ event }) => event.eventType.endsWith("IncomingCall"));
    expect(incoming.map(({ req }) => req.headers["aeg-delivery-count"])).toEqual(["0", "1", "2"]);
    expect(new Set(incoming.map(({ event }) => event.id)).size).toBe(1);

    rx.failNextOf("Microsoft.Communication.CallParticipantRemoved", 502);
    await s.endCall(serverCallId);
    await rx.waitFor(
      () =>
        ofCall("/eg", serverCallId).filter(({ event }) => event.eventType.endsWith("ParticipantRemoved")).length === 3,
    );
    const removed = ofCall("/eg", serverCallId).filter(({ event }) => event.eventType.endsWith("ParticipantRemoved"));
    expect(removed.map(({ req }) => req.headers["aeg-delivery-count"])).toEqual(["0", "0", "1"]);
  });

  it("refuses a subscription whose endpoint does not validate, and keeps the one it had", async () => {
    rx.handshake = "wrong-code";
    await expect(s.setEventGridSubscription(`${rx.url}/refused`)).rejects.toThrow(/validation/);
    rx.handshake = "500";
    await expect(s.setEventGridSubscription(`${rx.url}/refused`)).rejects.toThrow(/500/);
    await expect(s.setEventGridSubscription("http://127.0.0.1:1/nothing")).rejects.toThrow();
    const { serverCallId } = await s.placeCall({ from: CALLER, to: CALLEE, durationMs: 50 });
    await rx.waitFor(() => ofCall("/eg", serverCallId).some(({ event }) => event.eventType.endsWith("CallEnded")));
    expect(rx.notifications().filter((r) => r.path === "/refused")).toEqual([]);
  });

  it("delivers CloudEvents 1.0 after the OPTIONS handshake when asked to", async () => {
    await s.setEventGridSubscription(`${rx.url}/ce`, { schema: "CloudEventSchemaV1_0" });
    try {
      expect(rx.received.find((r) => r.path === "/ce")).toMatchObject({
        method: "OPTIONS",
        headers: { "webhook-request-origin": "eventgrid.azure.net" },
      });
      const { serverCallId } = await s.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
      const ofThisCall = () => rx.notifications().filter((r) => r.path === "/ce" && r.body.includes(serverCallId));
      await rx.waitFor(() => ofThisCall().length > 0);
      const [first] = ofThisCall();
      expect(first?.headers["content-type"]).toBe("application/cloudevents+json; charset=utf-8");
      expect(first?.json).toMatchObject({
        specversion: "1.0",
        type: "Microsoft.Communication.IncomingCall",
        source: TOPIC,
        id: expect.any(String),
        time: expect.any(String),
        subject: expect.stringMatching(/^\/caller\//),
        data: { serverCallId },
      });
    } finally {
      await s.setEventGridSubscription(`${rx.url}/eg`);
    }
  });
});

describe("a simulator without an Event Grid subscription", () => {
  // A simulator of its own, never subscribed: its first call is the first of the turn of recording event forms.
  let lone: RunningSimulator;
  const loneLogs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    lone = await startTestSimulator({ log: (line) => loneLogs.push(line) });
  });
  afterAll(() => lone?.stop());

  it("gives calls the documented recording event forms in turn, all of them", async () => {
    const forms = [];
    for (let i = 0; i < RECORDING_EVENT_FORMS.length; i++) {
      const { serverCallId } = await lone.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
      forms.push(lone.getCall(serverCallId)?.recordingEventForm);
    }
    expect(new Set(forms)).toEqual(new Set(RECORDING_EVENT_FORMS));
    expect(forms[0]).toBe("server-call-id+recording-id");
  });

  it("publishes its events nowhere, not even later once there is a subscription", async () => {
    const { serverCallId } = await lone.placeCall({ from: CALLER, to: CALLEE, durationMs: 50 });
    await waitFor(() => lone.getCall(serverCallId)?.state === "ended");
    // CallEnded is the call's last event: published (to nowhere) when the call ended.
    expect(
      loneLogs.filter((line) => line.msg === "event not delivered: no event grid subscription").map((l) => l.eventType),
    ).toContain("Microsoft.Communication.CallEnded");
    await lone.setEventGridSubscription(`${rx.url}/later`);
    // A marker event published now arrives after anything still queued from before.
    const marker = await lone.placeCall({ from: PSTN, to: CALLEE, durationMs: 60_000 });
    await rx.waitFor(() => rx.notifications().some((r) => r.path === "/later" && r.body.includes(marker.serverCallId)));
    expect(rx.notifications().filter((r) => r.body.includes(serverCallId))).toEqual([]);
  });
});

describe("callbacks", () => {
  it("are CloudEvent arrays with a fresh RS256 JWT that verifies against the served JWKS", async () => {
    const { serverCallId } = await s.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
    await waitFor(() => s.getCall(serverCallId)?.state === "established");
    const result = await sdkClient(s).connectCall(
      { kind: "serverCallLocator", id: serverCallId },
      `${rx.url}/callback`,
    );
    const connId = result.callConnectionProperties.callConnectionId;
    await rx.waitFor((all) => all.filter((r) => r.path === "/callback").length === 2);
    const deliveries = rx.received.filter((r) => r.path === "/callback");

    const config = (await (await fetch(s.openIdConfigurationUrl)).json()) as Record<string, unknown>;
    expect(config).toEqual({
      issuer: "https://acscallautomation.communication.azure.com",
      jwks_uri: `${s.url}/calling/keys`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
    const jwks = createRemoteJWKSet(new URL(String(config.jwks_uri)));
    const tokens = deliveries.map((d) => String(d.headers.authorization).replace(/^Bearer /, ""));
    expect(new Set(tokens).size).toBe(2);
    for (const token of tokens) {
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: "RS256", kid: expect.any(String) });
      const { payload } = await jwtVerify(token, jwks, {
        issuer: s.issuer,
        audience: RESOURCE_ID,
        algorithms: ["RS256"],
      });
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(300);
      expect(payload.nbf).toBeDefined();
      await expect(
        jwtVerify(token, jwks, { issuer: s.issuer, audience: "00000000-0000-0000-0000-000000000000" }),
      ).rejects.toThrow(/aud/);
      await expect(jwtVerify(token, jwks, { issuer: "https://example.com", audience: RESOURCE_ID })).rejects.toThrow(
        /iss/,
      );
    }

    const envelopes = deliveries.map((d) => {
      expect(d.headers["content-type"]).toBe("application/json");
      const arr = d.json as Record<string, unknown>[];
      expect(arr).toHaveLength(1);
      return arr[0]!;
    });
    expect(envelopes.map((e) => e.type)).toEqual([
      "Microsoft.Communication.CallConnected",
      "Microsoft.Communication.ParticipantsUpdated",
    ]);
    for (const e of envelopes) {
      expect(e).toMatchObject({
        id: expect.any(String),
        source: `calling/callConnections/${connId}`,
        subject: `calling/callConnections/${connId}`,
        specversion: "1.0",
        datacontenttype: "application/json",
        time: expect.any(String),
        data: {
          callConnectionId: connId,
          serverCallId,
          correlationId: expect.any(String),
          version: expect.any(String),
          publicEventType: e.type,
        },
      });
    }
  });

  it("retries a callback the app answered with 503", async () => {
    const { serverCallId } = await s.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
    await waitFor(() => s.getCall(serverCallId)?.state === "established");
    rx.failNextOf("Microsoft.Communication.CallConnected", 503);
    await sdkClient(s).connectCall({ kind: "serverCallLocator", id: serverCallId }, `${rx.url}/callback-retried`);
    await rx.waitFor((all) => all.filter((r) => r.path === "/callback-retried").length === 3);
    const types = rx.received
      .filter((r) => r.path === "/callback-retried")
      .map((r) => (r.json as { type: string; id: string }[])[0]);
    const connectedIds = types.filter((t) => t?.type.endsWith("CallConnected")).map((t) => t?.id);
    expect(connectedIds).toHaveLength(2);
    expect(connectedIds[0]).toBe(connectedIds[1]);
  });
});
