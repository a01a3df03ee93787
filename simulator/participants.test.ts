// Participants leaving and joining again mid-call, and a recording stopped by the Call Automation API, through the
// real SDK and the simulator's Event Grid and callback deliveries (docs/acs-payloads.md "Participants: who is on the
// call, and who left").
import type { CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Receiver } from "./test-support/receiver.js";
import { startReceiver } from "./test-support/receiver.js";
import { parseWavHeader } from "./test-support/wav-parse.js";
import { CALLEE, CALLER, PSTN, sdkClient, startTestSimulator, uniqueUser, waitFor } from "./test-support/fixtures.js";
import type { RunningSimulator } from "./types.js";

const TEAMS_USER = "8:orgid:6f1ad3c2-0b9e-4a5e-9c59-1d1b5c0f7e21";

let sim: RunningSimulator;
let client: CallAutomationClient;
let rx: Receiver;

beforeAll(async () => {
  rx = await startReceiver();
  sim = await startTestSimulator({ eventGridUrl: `${rx.url}/eg` });
  client = sdkClient(sim);
});

afterAll(async () => {
  await sim?.stop();
  await rx.close();
});

type GridEvent = { id: string; eventType: string; subject: string; eventTime: string; data: Record<string, unknown> };
type CallbackEvent = { type: string; time: string; data: Record<string, unknown> };

/** Event Grid deliveries of one call, in the order they arrived. */
function gridEvents(serverCallId: string, type?: string): GridEvent[] {
  return rx.received
    .filter((r) => r.path === "/eg" && r.headers["aeg-event-type"] === "Notification")
    .flatMap((r) => r.json as GridEvent[])
    .filter(
      (e) =>
        (e.data.serverCallId === serverCallId || e.subject.includes(serverCallId)) &&
        (!type || e.eventType === `Microsoft.Communication.${type}`),
    );
}

function callbackEvents(path: string, type: string): CallbackEvent[] {
  return rx.received
    .filter((r) => r.path === path)
    .flatMap((r) => r.json as CallbackEvent[])
    .filter((e) => e.type === `Microsoft.Communication.${type}`);
}

type Listed = { sequenceNumber: number; participants: { identifier: { rawId: string; kind: string } }[] };
const lists = (path: string) => callbackEvents(path, "ParticipantsUpdated").map((e) => e.data as unknown as Listed);
const rawIdsOf = (list: Listed | undefined) => list?.participants.map((p) => p.identifier.rawId);

async function bytesOf(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part as Buffer));
  return Buffer.concat(parts);
}

async function groupCall(others: string[]): Promise<string> {
  const { serverCallId } = await sim.placeCall({
    from: CALLER,
    to: CALLEE,
    additionalParticipants: others,
    durationMs: 60_000,
  });
  await waitFor(() => sim.getCall(serverCallId)?.state === "established");
  return serverCallId;
}

/** Our call connection to the call, connected, with its first participant list received. */
async function connection(serverCallId: string, path: string): Promise<string> {
  const connected = await client.connectCall({ kind: "serverCallLocator", id: serverCallId }, `${rx.url}${path}`);
  await waitFor(() => lists(path).length === 1);
  return connected.callConnectionProperties.callConnectionId ?? "";
}

async function listedBySdk(callConnectionId: string): Promise<string[]> {
  const { values } = await client.getCallConnection(callConnectionId).listParticipants();
  return (values ?? []).map((p) => {
    const id = p.identifier;
    if (!id) return "";
    if ("communicationUserId" in id) return id.communicationUserId;
    if ("phoneNumber" in id) return `4:${id.phoneNumber}`;
    if ("microsoftTeamsUserId" in id) return id.rawId ?? `8:orgid:${id.microsoftTeamsUserId}`;
    return "";
  });
}

const documentedParticipantFields = [
  "user",
  "displayName",
  "participantId",
  "userAgent",
  "startedBy",
  "serverCallId",
  "correlationId",
  "group",
  "room",
  "isTwoParty",
  "isRoomsCall",
];

describe("participants leaving mid-call", () => {
  it("an ACS user leaves: CallParticipantRemoved on Event Grid and, on every connection, a list without them; the call goes on", async () => {
    const third = uniqueUser();
    const serverCallId = await groupCall([third]);
    const ours = await connection(serverCallId, "/cb-acs-a");
    await connection(serverCallId, "/cb-acs-b");
    expect(rawIdsOf(lists("/cb-acs-a")[0])).toEqual([CALLER, CALLEE, third]);

    await sim.removeParticipant(serverCallId, third);

    const removed = await waitFor(() => gridEvents(serverCallId, "CallParticipantRemoved")[0]);
    const added = gridEvents(serverCallId, "CallParticipantAdded").find((e) => e.subject.endsWith(third));
    expect(removed.subject).toBe(`call/${serverCallId}/participant/${third}`);
    expect(removed.data).toMatchObject({
      user: { communicationIdentifier: { rawId: third, communicationUser: { id: third } } },
      participantId: added?.data.participantId,
      serverCallId,
    });
    // Only the documented fields: the event has no reason of its own.
    expect(Object.keys(removed.data).filter((k) => !documentedParticipantFields.includes(k))).toEqual([]);

    for (const path of ["/cb-acs-a", "/cb-acs-b"]) {
      await waitFor(() => lists(path).length === 2);
      expect(lists(path)[1]?.sequenceNumber).toBeGreaterThan(lists(path)[0]?.sequenceNumber ?? Infinity);
      expect(rawIdsOf(lists(path)[1])).toEqual([CALLER, CALLEE]);
    }
    expect(sim.getCall(serverCallId)).toMatchObject({ state: "established", participants: [CALLER, CALLEE] });
    expect(await listedBySdk(ours)).toEqual([CALLER, CALLEE]);
  });

  it("a phone party and a Teams user leave: no Event Grid event for either, only lists without them", async () => {
    const serverCallId = await groupCall([PSTN, TEAMS_USER]);
    const ours = await connection(serverCallId, "/cb-pstn");
    expect(lists("/cb-pstn")[0]?.participants.map((p) => p.identifier.kind)).toEqual([
      "communicationUser",
      "communicationUser",
      "phoneNumber",
      "microsoftTeamsUser",
    ]);

    await sim.removeParticipant(serverCallId, PSTN);
    await waitFor(() => lists("/cb-pstn").length === 2);
    expect(rawIdsOf(lists("/cb-pstn")[1])).toEqual([CALLER, CALLEE, TEAMS_USER]);
    await sim.removeParticipant(serverCallId, TEAMS_USER);
    await waitFor(() => lists("/cb-pstn").length === 3);
    expect(rawIdsOf(lists("/cb-pstn")[2])).toEqual([CALLER, CALLEE]);
    expect(await listedBySdk(ours)).toEqual([CALLER, CALLEE]);

    // An ACS user's join afterwards is a marker: Event Grid deliveries to one endpoint go out in the order the events
    // happened, so an event about either leaver would have arrived before it.
    const marker = uniqueUser();
    await sim.addParticipant(serverCallId, marker);
    await waitFor(() => gridEvents(serverCallId, "CallParticipantAdded").some((e) => e.subject.endsWith(marker)));
    expect(gridEvents(serverCallId, "CallParticipantRemoved")).toEqual([]);
    expect(gridEvents(serverCallId).filter((e) => e.subject.includes(PSTN) || e.subject.includes(TEAMS_USER))).toEqual(
      [],
    );
  });

  it("someone who left joins again: a new CallParticipantAdded (new participantId) and lists naming them again", async () => {
    const third = uniqueUser();
    const serverCallId = await groupCall([third]);
    await connection(serverCallId, "/cb-rejoin");

    await sim.removeParticipant(serverCallId, third);
    await waitFor(() => lists("/cb-rejoin").length === 2);
    await sim.addParticipant(serverCallId, third);
    await waitFor(() => lists("/cb-rejoin").length === 3);

    expect(lists("/cb-rejoin").map(rawIdsOf)).toEqual([
      [CALLER, CALLEE, third],
      [CALLER, CALLEE],
      [CALLER, CALLEE, third],
    ]);
    const numbers = lists("/cb-rejoin").map((l) => l.sequenceNumber);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
    const joins = await waitFor(() => {
      const found = gridEvents(serverCallId, "CallParticipantAdded").filter((e) => e.subject.endsWith(third));
      return found.length === 2 && found;
    });
    expect(joins[0]?.data.participantId).not.toBe(joins[1]?.data.participantId);
    const order = gridEvents(serverCallId)
      .filter((e) => e.subject.endsWith(third))
      .map((e) => e.eventType.replace("Microsoft.Communication.", ""));
    expect(order).toEqual(["CallParticipantAdded", "CallParticipantRemoved", "CallParticipantAdded"]);
  });

  it("when one party would be left alone, the call ends for everyone", async () => {
    const { serverCallId } = await sim.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
    await waitFor(() => sim.getCall(serverCallId)?.state === "established");
    await connection(serverCallId, "/cb-alone");
    await sim.removeParticipant(serverCallId, CALLEE);
    expect(sim.getCall(serverCallId)?.state).toBe("ended");
    await waitFor(() => callbackEvents("/cb-alone", "CallDisconnected").length === 1);
    await waitFor(() => gridEvents(serverCallId, "CallEnded").length === 1);
    expect(gridEvents(serverCallId, "CallParticipantRemoved").map((e) => e.subject)).toEqual([
      `call/${serverCallId}/participant/${CALLER}`,
      `call/${serverCallId}/participant/${CALLEE}`,
    ]);
  });

  it("the control API: DELETE a participant → 202; not on the call or call not established → 409; unknown call → 404", async () => {
    const third = uniqueUser();
    const serverCallId = await groupCall([third]);
    const remove = (id: string, rawId: string) =>
      fetch(`${sim.url}/simulator/calls/${encodeURIComponent(id)}/participants/${encodeURIComponent(rawId)}`, {
        method: "DELETE",
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    expect((await remove(serverCallId, third)).status).toBe(202);
    expect(sim.getCall(serverCallId)?.participants).toEqual([CALLER, CALLEE]);
    expect(await remove(serverCallId, third)).toMatchObject({
      status: 409,
      body: expect.stringMatching(/not on the call/),
    });
    expect((await remove("nope", third)).status).toBe(404);
    await sim.endCall(serverCallId);
    expect(await remove(serverCallId, CALLER)).toMatchObject({ status: 409, body: expect.stringMatching(/ended/) });
    await expect(sim.removeParticipant(serverCallId, CALLER)).rejects.toThrow(/not established/);
  });
});

describe("a recording stopped by the Call Automation API mid-call", () => {
  it("inactive state event, then files whose audio ends at the stop (last chunk SessionEnded); whoever was on it is in its metadata; the call goes on", async () => {
    const third = uniqueUser();
    const serverCallId = await groupCall([third]);
    const recording = client.getCallRecording();
    const { recordingId } = await recording.start({
      callLocator: { kind: "serverCallLocator", id: serverCallId },
      recordingStateCallbackEndpointUrl: `${rx.url}/cb-stop`,
      recordingContent: "audio",
      recordingChannel: "mixed",
      recordingFormat: "wav",
    });
    const states = () =>
      callbackEvents("/cb-stop", "RecordingStateChanged").map(
        (e) => e.data as { state: string; startDateTime: string },
      );
    await waitFor(() => states().some((s) => s.state === "active"));
    const startedAt = Date.now();
    await sim.removeParticipant(serverCallId, third); // leaves while it records: still in this recording
    await new Promise((r) => setTimeout(r, 400));
    await recording.stop(recordingId);
    const stoppedAt = Date.now();

    await waitFor(() => states().length === 3);
    const [placeholder, active, stopped] = states();
    expect([placeholder?.state, active?.state, stopped?.state]).toEqual(["inactive", "active", "inactive"]);
    expect(stopped?.startDateTime).toBe(active?.startDateTime);
    expect(stopped?.startDateTime).not.toMatch(/^0001-/);
    await expect(recording.getState(recordingId)).rejects.toMatchObject({ statusCode: 404 });

    const ready = await waitFor(() => gridEvents(serverCallId, "RecordingFileStatusUpdated")[0]);
    const data = ready.data as {
      recordingDurationMs: number;
      recordingStorageInfo: {
        recordingChunks: { endReason: string; contentLocation: string; metadataLocation: string }[];
      };
    };
    const chunks = data.recordingStorageInfo.recordingChunks;
    expect(chunks.at(-1)?.endReason).toBe("SessionEnded");

    // The audio is the time between activation and the stop, not the call's 60 s.
    const audio = await bytesOf(await recording.downloadStreaming(chunks[0]!.contentLocation));
    const audioMs = (parseWavHeader(audio).dataBytes / (16_000 * 2)) * 1000;
    expect(audioMs).toBeCloseTo(data.recordingDurationMs, -1);
    expect(audioMs).toBeGreaterThanOrEqual(400 - 50);
    expect(audioMs).toBeLessThanOrEqual(stoppedAt - startedAt + 200);

    const metadata = JSON.parse(
      (await bytesOf(await recording.downloadStreaming(chunks[0]!.metadataLocation))).toString("utf8"),
    ) as { participants: { participantId: string }[] };
    expect(metadata.participants.map((p) => p.participantId)).toEqual([CALLER, CALLEE, third]);

    expect(sim.getCall(serverCallId)).toMatchObject({ state: "established", participants: [CALLER, CALLEE] });
    expect(sim.getCall(serverCallId)?.recordings.map((r) => r.state)).toEqual(["stopped"]);
  });
});
