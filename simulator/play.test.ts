// Play through the real SDK (1.6.0) against the simulator: to everyone (playToAll) or to the participants named
// (play with playTo); the call's view lists each play and whom it was for, and PlayCompleted carries the request's
// operationContext (https://learn.microsoft.com/azure/communication-services/how-tos/call-automation/play-action).
import type { CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Receiver } from "./test-support/receiver.js";
import { startReceiver } from "./test-support/receiver.js";
import { CALLER, PSTN, sdkClient, startTestSimulator, waitFor } from "./test-support/fixtures.js";
import type { RunningSimulator } from "./types.js";

let sim: RunningSimulator;
let client: CallAutomationClient;
let rx: Receiver;

beforeAll(async () => {
  rx = await startReceiver();
  sim = await startTestSimulator();
  client = sdkClient(sim);
});

afterAll(async () => {
  await sim?.stop();
  await rx.close();
});

async function connectedCall(): Promise<{ serverCallId: string; id: string }> {
  const { serverCallId } = await sim.placeCall({ from: CALLER, to: PSTN, durationMs: 60_000 });
  await waitFor(() => sim.getCall(serverCallId)?.state === "established");
  const result = await client.connectCall({ kind: "serverCallLocator", id: serverCallId }, `${rx.url}/cb`);
  const id = result.callConnectionProperties.callConnectionId ?? "";
  await waitFor(() => sim.getCall(serverCallId)?.connections[0]?.state === "connected");
  return { serverCallId, id };
}

function playEvents(id: string): { type: string; data: Record<string, unknown> }[] {
  return rx.received
    .filter((req) => req.path.startsWith("/cb"))
    .flatMap((req) => req.json as { type: string; data: Record<string, unknown> }[])
    .filter((ev) => ev.type.startsWith("Microsoft.Communication.Play") && ev.data.callConnectionId === id);
}

const source = { kind: "textSource" as const, text: "This call is recorded." };

describe("play", () => {
  it("to one participant: listed with its playTo, PlayStarted and PlayCompleted carry the operationContext", async () => {
    const { serverCallId, id } = await connectedCall();
    const media = client.getCallConnection(id).getCallMedia();
    await media.playToAll([source], { operationContext: "to-all" });
    await media.play([source], [{ phoneNumber: PSTN.slice(2) }], { operationContext: "to-one" });
    expect(sim.getCall(serverCallId)?.plays).toMatchObject([
      { callConnectionId: id, operationContext: "to-all", playTo: [] },
      { callConnectionId: id, operationContext: "to-one", playTo: [PSTN] },
    ]);
    const completed = await waitFor(() => {
      const done = playEvents(id).filter((ev) => ev.type === "Microsoft.Communication.PlayCompleted");
      return done.length === 2 && done;
    });
    expect(completed.map((ev) => ev.data.operationContext).sort()).toEqual(["to-all", "to-one"]);
  });

  it("to someone not on the call: refused (400 8523, as recognize's target), nothing played", async () => {
    const { serverCallId, id } = await connectedCall();
    const media = client.getCallConnection(id).getCallMedia();
    await expect(media.play([source], [{ phoneNumber: "+14255550999" }])).rejects.toMatchObject({ statusCode: 400 });
    expect(sim.getCall(serverCallId)?.plays).toEqual([]);
  });
});
