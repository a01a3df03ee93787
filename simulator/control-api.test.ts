// The unsigned /simulator control API (the standalone entry point, a process: test/integration/simulator-main.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Receiver } from "./test-support/receiver.js";
import { startReceiver } from "./test-support/receiver.js";
import { CALLEE, CALLER, PSTN, sdkClient, startTestSimulator, uniqueUser, waitFor } from "./test-support/fixtures.js";
import type { CallView, RunningSimulator } from "./types.js";

let sim: RunningSimulator;
let rx: Receiver;

beforeAll(async () => {
  rx = await startReceiver();
  sim = await startTestSimulator();
});
afterAll(async () => {
  await sim.stop();
  await rx.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe("control API", () => {
  it("places, shows and ends calls", async () => {
    const placed = await call("POST", "/simulator/calls", {
      from: CALLER,
      to: CALLEE,
      durationMs: 60_000,
      recordingEventForm: "call-id",
    });
    expect(placed.status).toBe(201);
    const { serverCallId, correlationId } = placed.json as { serverCallId: string; correlationId: string };
    // Standard, padded base64 with '/', '+' and '=' (docs/acs-payloads.md): the control API takes it percent-encoded.
    expect(serverCallId).toMatch(/^[A-Za-z0-9+/]+=+$/);
    expect(serverCallId).toMatch(/\//);
    expect(serverCallId).toMatch(/\+/);
    expect(Buffer.from(serverCallId, "base64").toString("utf8")).toMatch(/^https:\/\/[^?]+\/conv\/[^?]+\?i=/);
    await waitFor(() => sim.getCall(serverCallId)?.state === "established");
    const shown = await call("GET", `/simulator/calls/${encodeURIComponent(serverCallId)}`);
    expect(shown).toEqual({
      status: 200,
      json: {
        serverCallId,
        correlationId,
        state: "established",
        incomingCallContext: expect.any(String),
        participants: [CALLER, CALLEE],
        connections: [],
        recordings: [],
        recordingEventForm: "call-id",
        recognitions: [],
        plays: [],
      },
    });
    expect(await call("POST", `/simulator/calls/${encodeURIComponent(serverCallId)}:end`)).toEqual({
      status: 202,
      json: undefined,
    });
    expect(((await call("GET", `/simulator/calls/${encodeURIComponent(serverCallId)}`)).json as CallView).state).toBe(
      "ended",
    );
    expect((await call("GET", "/simulator/calls/nope")).status).toBe(404);
    expect((await call("POST", "/simulator/calls/nope:end")).status).toBe(404);
  });

  it("names the bad field in a 400", async () => {
    expect(
      await call("POST", "/simulator/calls", { from: CALLER, to: CALLEE, recordingEventForm: "server-call-id-first" }),
    ).toMatchObject({ status: 400, json: { message: expect.stringMatching(/^recordingEventForm:/) } });
    expect(await call("POST", "/simulator/calls", { from: CALLER })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^to:/) },
    });
    expect(await call("POST", "/simulator/calls", { from: "alice", to: CALLEE })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^from:/) },
    });
    expect(await call("POST", "/simulator/calls", { from: CALLER, to: CALLEE, durationMs: -1 })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^durationMs:/) },
    });
    expect(await call("POST", "/simulator/calls", "{not json")).toMatchObject({ status: 400 });
    expect(await call("PUT", "/simulator/eventgrid-subscription", { endpointUrl: "ftp://x" })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^endpointUrl:/) },
    });
  });

  it("sets the Event Grid subscription after a handshake, 400 when it fails", async () => {
    rx.handshake = "wrong-code";
    const bad = await call("PUT", "/simulator/eventgrid-subscription", { endpointUrl: `${rx.url}/eg` });
    expect(bad).toMatchObject({ status: 400, json: { message: expect.stringMatching(/validation/) } });
    rx.handshake = "echo";
    expect(await call("PUT", "/simulator/eventgrid-subscription", { endpointUrl: `${rx.url}/eg` })).toMatchObject({
      status: 200,
    });
    const { json } = await call("POST", "/simulator/calls", { from: CALLER, to: CALLEE, durationMs: 10 });
    const { serverCallId } = json as { serverCallId: string };
    await rx.waitFor(() =>
      rx
        .notifications()
        .some((r) => (r.json as { data: { serverCallId?: string } }[])[0]?.data.serverCallId === serverCallId),
    );
  });

  it("adds a participant to a live call: CallParticipantAdded (ACS users only), ParticipantsUpdated, the list", async () => {
    expect(await call("PUT", "/simulator/eventgrid-subscription", { endpointUrl: `${rx.url}/eg-join` })).toMatchObject({
      status: 200,
    });
    const { json } = await call("POST", "/simulator/calls", { from: CALLER, to: CALLEE, durationMs: 60_000 });
    const { serverCallId } = json as { serverCallId: string };
    await waitFor(() => sim.getCall(serverCallId)?.state === "established");
    const client = sdkClient(sim);
    const connected = await client.connectCall({ kind: "serverCallLocator", id: serverCallId }, `${rx.url}/cb-join`);
    const callConnectionId = connected.callConnectionProperties.callConnectionId ?? "";
    type Callback = {
      type: string;
      data: { sequenceNumber: number; participants: { identifier: { rawId: string } }[] };
    };
    const updates = () =>
      rx.received
        .filter((r) => r.path === "/cb-join")
        .flatMap((r) => r.json as Callback[])
        .filter((e) => e.type === "Microsoft.Communication.ParticipantsUpdated");
    await waitFor(() => updates().length === 1);

    const joiner = uniqueUser();
    expect(
      await call("POST", `/simulator/calls/${encodeURIComponent(serverCallId)}/participants`, { rawId: joiner }),
    ).toEqual({
      status: 202,
      json: undefined,
    });
    expect(sim.getCall(serverCallId)?.participants).toEqual([CALLER, CALLEE, joiner]);
    type Added = {
      eventType: string;
      subject: string;
      data: { serverCallId: string; participantId: string; user: { communicationIdentifier: { rawId: string } } };
    };
    const addedOnEventGrid = (rawId: string) =>
      waitFor(() =>
        rx.received
          .filter((r) => r.path === "/eg-join" && r.headers["aeg-event-type"] === "Notification")
          .map((r) => (r.json as Added[])[0])
          .find(
            (e) =>
              e?.eventType === "Microsoft.Communication.CallParticipantAdded" &&
              e.data.user.communicationIdentifier.rawId === rawId,
          ),
      );
    const added = await addedOnEventGrid(joiner);
    expect(added).toMatchObject({
      subject: `call/${serverCallId}/participant/${joiner}`,
      data: { serverCallId, participantId: expect.any(String) },
    });
    await waitFor(() => updates().length === 2);
    expect(updates()[1]?.data.sequenceNumber).toBe(2);
    expect(updates()[1]?.data.participants.map((p) => p.identifier.rawId)).toEqual([CALLER, CALLEE, joiner]);
    const listed = await client.getCallConnection(callConnectionId).listParticipants();
    expect(
      listed.values?.map((p) =>
        p.identifier && "communicationUserId" in p.identifier ? p.identifier.communicationUserId : undefined,
      ),
    ).toContain(joiner);

    // A phone party: in the call and the list, but no Event Grid participant event (docs/acs-payloads.md "Event Grid events").
    expect(
      await call("POST", `/simulator/calls/${encodeURIComponent(serverCallId)}/participants`, { rawId: PSTN }),
    ).toMatchObject({
      status: 202,
    });
    await waitFor(() => updates().length === 3);
    // Another ACS user joins after the phone party: Event Grid deliveries to one endpoint start one at a time in
    // the order the events happened, so an event for the phone party would have come before this one's.
    const after = uniqueUser();
    await sim.addParticipant(serverCallId, after);
    await addedOnEventGrid(after);
    const phoneEvents = rx.received.filter((r) => r.path === "/eg-join" && r.body.includes("+14255550123"));
    expect(phoneEvents).toEqual([]);

    expect(
      await call("POST", `/simulator/calls/${encodeURIComponent(serverCallId)}/participants`, { rawId: joiner }),
    ).toMatchObject({
      status: 409,
      json: { message: expect.stringMatching(/^rawId:/) },
    });
    expect(
      await call("POST", `/simulator/calls/${encodeURIComponent(serverCallId)}/participants`, { rawId: "bob" }),
    ).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^rawId:/) },
    });
    expect((await call("POST", "/simulator/calls/nope/participants", { rawId: joiner })).status).toBe(404);
    await sim.endCall(serverCallId);
    expect(
      await call("POST", `/simulator/calls/${encodeURIComponent(serverCallId)}/participants`, { rawId: uniqueUser() }),
    ).toMatchObject({
      status: 409,
      json: { message: expect.stringMatching(/ended, not established/) },
    });
    await expect(sim.addParticipant(serverCallId, uniqueUser())).rejects.toThrow(/not established/);
  });

  it("lists the ACS requests received, and only those", async () => {
    await fetch(`${sim.url}/calling/callConnections/abc`);
    await fetch(`${sim.url}/v1/objects/doc/content/audiowav`);
    const { status, json } = await call("GET", "/simulator/requests");
    expect(status).toBe(200);
    const entries = json as { path: string; operation: string; status: number; signatureValid: boolean; at: string }[];
    expect(entries.slice(-2)).toEqual([
      {
        at: expect.any(String),
        method: "GET",
        path: "/calling/callConnections/abc",
        operation: "getCall",
        status: 401,
        signatureValid: false,
      },
      {
        at: expect.any(String),
        method: "GET",
        path: "/v1/objects/doc/content/audiowav",
        operation: "download",
        status: 401,
        signatureValid: false,
      },
    ]);
    expect(entries.some((e) => e.path.startsWith("/simulator"))).toBe(false);
  });
});
