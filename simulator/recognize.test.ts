// Recognize through the real SDK (1.6.0) against the simulator: the request it sends, and the callbacks that come back
// for each scripted answer (docs/acs-payloads.md "Recognize").
import { DtmfTone, parseCallAutomationEvent, type CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { outcomeOf } from "./recognize.js";
import type { Receiver } from "./test-support/receiver.js";
import { startReceiver } from "./test-support/receiver.js";
import { CALLER, PSTN, sdkClient, startTestSimulator, waitFor } from "./test-support/fixtures.js";
import type { RecognizeAnswer } from "./model.js";
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

/** A call from an ACS user to a phone, connected by us; returns the connection id. */
async function connectedCall(): Promise<{ serverCallId: string; id: string }> {
  const { serverCallId } = await sim.placeCall({ from: CALLER, to: PSTN, durationMs: 60_000 });
  await waitFor(() => sim.getCall(serverCallId)?.state === "established");
  const result = await client.connectCall({ kind: "serverCallLocator", id: serverCallId }, `${rx.url}/cb`);
  const id = result.callConnectionProperties.callConnectionId ?? "";
  await waitFor(() => sim.getCall(serverCallId)?.connections[0]?.state === "connected");
  return { serverCallId, id };
}

function recognizeEvents(id: string): { type: string; data: Record<string, unknown> }[] {
  const out: { type: string; data: Record<string, unknown> }[] = [];
  for (const req of rx.received) {
    if (!req.path.startsWith("/cb")) continue;
    for (const ev of req.json as { type: string; data: Record<string, unknown> }[])
      if (ev.type.startsWith("Microsoft.Communication.Recognize") && ev.data.callConnectionId === id) out.push(ev);
  }
  return out;
}

const phone = { phoneNumber: "+14255550123" };
const prompt = { kind: "textSource" as const, text: "Press 1 or say yes to agree to recording." };

describe("recognize", () => {
  it("DTMF: the scripted key ends it with RecognizeCompleted, tones by name, max digits received", async () => {
    const { serverCallId, id } = await connectedCall();
    await sim.scriptRecognizeAnswer(serverCallId, PSTN, { kind: "dtmf", tones: ["1"] });
    await client.getCallConnection(id).getCallMedia().startRecognizing(phone, {
      kind: "callMediaRecognizeDtmfOptions",
      maxTonesToCollect: 1,
      playPrompt: prompt,
      initialSilenceTimeoutInSeconds: 2,
      operationContext: "consent",
    });
    const [event] = await waitFor(() => recognizeEvents(id).length === 1 && recognizeEvents(id));
    expect(event?.type).toBe("Microsoft.Communication.RecognizeCompleted");
    expect(event?.data).toMatchObject({
      operationContext: "consent",
      recognitionType: "dtmf",
      dtmfResult: { tones: ["one"] },
      resultInformation: { code: 200, subCode: 8531, message: "Action completed, max digits received." },
      serverCallId,
    });
    // The SDK's own parser reads it.
    const parsed = parseCallAutomationEvent(event?.data ? event : {});
    expect(parsed.kind).toBe("RecognizeCompleted");
    const logged = sim.requests().find((r) => r.operation === "recognize" && r.serverCallId === serverCallId);
    expect(logged).toMatchObject({ method: "POST", path: `/calling/callConnections/${id}:recognize`, status: 202 });
    expect(sim.getCall(serverCallId)?.recognitions).toMatchObject([
      { target: PSTN, inputType: "dtmf", outcome: "RecognizeCompleted", subCode: 8531 },
    ]);
  });

  it("speech: the scripted phrase comes back as speechResult.speech", async () => {
    const { serverCallId, id } = await connectedCall();
    await sim.scriptRecognizeAnswer(serverCallId, PSTN, { kind: "speech", phrase: "Yes, I agree" });
    await client.getCallConnection(id).getCallMedia().startRecognizing(phone, {
      kind: "callMediaRecognizeSpeechOrDtmfOptions",
      maxTonesToCollect: 1,
      endSilenceTimeoutInSeconds: 1,
      playPrompt: prompt,
      initialSilenceTimeoutInSeconds: 2,
      operationContext: "consent",
    });
    const [event] = await waitFor(() => recognizeEvents(id).length === 1 && recognizeEvents(id));
    expect(event?.type).toBe("Microsoft.Communication.RecognizeCompleted");
    expect(event?.data).toMatchObject({ recognitionType: "speech", speechResult: { speech: "Yes, I agree" } });
  });

  it("choices: a phrase matched to its label, an unknown phrase fails with 8547", async () => {
    const { serverCallId, id } = await connectedCall();
    await sim.scriptRecognizeAnswer(serverCallId, PSTN, { kind: "speech", phrase: "sure" });
    await sim.scriptRecognizeAnswer(serverCallId, PSTN, { kind: "speech", phrase: "maybe later" });
    const options = {
      kind: "callMediaRecognizeChoiceOptions" as const,
      choices: [
        { label: "consent", phrases: ["yes", "sure"], tone: DtmfTone.One },
        { label: "refuse", phrases: ["no"], tone: DtmfTone.Two },
      ],
      initialSilenceTimeoutInSeconds: 2,
    };
    const media = client.getCallConnection(id).getCallMedia();
    await media.startRecognizing(phone, { ...options, operationContext: "first" });
    await waitFor(() => recognizeEvents(id).length === 1);
    await media.startRecognizing(phone, { ...options, operationContext: "second" });
    const [first, second] = await waitFor(() => recognizeEvents(id).length === 2 && recognizeEvents(id));
    expect(first?.data).toMatchObject({
      operationContext: "first",
      recognitionType: "choices",
      choiceResult: { label: "consent", recognizedPhrase: "sure" },
    });
    expect(second?.type).toBe("Microsoft.Communication.RecognizeFailed");
    expect(second?.data).toMatchObject({ operationContext: "second", resultInformation: { code: 400, subCode: 8547 } });
  });

  it("silence: RecognizeFailed 8510 once the initial silence timeout has passed after the prompt", async () => {
    const { serverCallId, id } = await connectedCall();
    const asked = Date.now();
    await client.getCallConnection(id).getCallMedia().startRecognizing(phone, {
      kind: "callMediaRecognizeDtmfOptions",
      maxTonesToCollect: 1,
      playPrompt: prompt,
      initialSilenceTimeoutInSeconds: 1,
    });
    const [event] = await waitFor(() => recognizeEvents(id).length === 1 && recognizeEvents(id), 5000);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(1000);
    expect(event?.type).toBe("Microsoft.Communication.RecognizeFailed");
    expect(event?.data).toMatchObject({
      resultInformation: { code: 400, subCode: 8510, message: "Action failed, initial silence timeout reached." },
    });
    // The SDK filled in a random operationContext when the app gave none.
    expect(event?.data.operationContext).toMatch(/^[0-9a-f-]{36}$/);
    expect(sim.getCall(serverCallId)?.recognitions[0]).toMatchObject({ outcome: "RecognizeFailed", subCode: 8510 });
  });

  it("cancelAllMediaOperations ends a pending recognize with RecognizeCanceled 8508", async () => {
    const { id } = await connectedCall();
    const media = client.getCallConnection(id).getCallMedia();
    await media.startRecognizing(phone, {
      kind: "callMediaRecognizeDtmfOptions",
      maxTonesToCollect: 1,
      initialSilenceTimeoutInSeconds: 10,
      operationContext: "to-cancel",
    });
    await media.cancelAllOperations();
    const [event] = await waitFor(() => recognizeEvents(id).length === 1 && recognizeEvents(id));
    expect(event?.type).toBe("Microsoft.Communication.RecognizeCanceled");
    expect(event?.data).toMatchObject({
      operationContext: "to-cancel",
      resultInformation: { code: 400, subCode: 8508 },
    });
  });

  it("refuses a target who is not on the call, and a DTMF recognize without maxTonesToCollect", async () => {
    const { id } = await connectedCall();
    const media = client.getCallConnection(id).getCallMedia();
    await expect(
      media.startRecognizing(
        { phoneNumber: "+15555550100" },
        { kind: "callMediaRecognizeDtmfOptions", maxTonesToCollect: 1 },
      ),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(media.startRecognizing(phone, { kind: "callMediaRecognizeDtmfOptions" })).rejects.toMatchObject({
      statusCode: 400,
    });
  });

  it("the control API scripts answers and validates them", async () => {
    const { serverCallId } = await connectedCall();
    const post = (body: unknown) =>
      fetch(`${sim.url}/simulator/calls/${encodeURIComponent(serverCallId)}/recognize-answers`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await post({ rawId: PSTN, answer: { kind: "dtmf", tones: ["#"] } })).status).toBe(201);
    expect((await post({ rawId: PSTN, answer: { kind: "dtmf", tones: ["x"] } })).status).toBe(400);
    expect((await post({ rawId: PSTN, answer: { kind: "hum" } })).status).toBe(400);
  });
});

describe("outcomeOf", () => {
  const dtmf = (extra: object = {}) => ({
    recognizeInputType: "dtmf" as const,
    recognizeOptions: {
      targetParticipant: { rawId: PSTN },
      initialSilenceTimeoutInSeconds: 5,
      dtmfOptions: { maxTonesToCollect: 2, stopTones: ["pound" as const], interToneTimeoutInSeconds: 2 },
      ...extra,
    },
  });
  const cases: [string, RecognizeAnswer, object][] = [
    [
      "max digits",
      { kind: "dtmf", tones: ["one", "two"] },
      { kind: "completed", data: { subCode: 8531, dtmfResult: { tones: ["one", "two"] } } },
    ],
    [
      "stop tone",
      { kind: "dtmf", tones: ["one", "pound"] },
      { kind: "completed", data: { subCode: 8514, dtmfResult: { tones: ["one"] } } },
    ],
    ["inter-digit timeout", { kind: "dtmf", tones: ["one"] }, { kind: "failed", subCode: 8532, atMs: 1100 + 2000 }],
    ["silence", { kind: "silent" }, { kind: "failed", subCode: 8510, atMs: 1000 + 5000 }],
    [
      "an answer after the silence timeout",
      { kind: "dtmf", tones: ["one"], afterMs: 6000 },
      { kind: "failed", subCode: 8510 },
    ],
    ["speech to a DTMF-only recognize", { kind: "speech", phrase: "yes" }, { kind: "failed", subCode: 8510 }],
  ];
  it.each(cases)("%s", (_name, answer, expected) => {
    expect(outcomeOf(dtmf(), answer, 1000)).toMatchObject(expected);
  });
});
