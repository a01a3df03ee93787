// Fault injection (faults.ts): in-process and over the control API, consumed in order, visible in the request log.
import { createHash } from "node:crypto";
import type { CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HTML_ERROR_PAGE } from "./faults.js";
import { CALLEE, CALLER, sdkClient, startTestSimulator, waitFor } from "./test-support/fixtures.js";
import { startReceiver } from "./test-support/receiver.js";
import type { ChunkView, RunningSimulator } from "./types.js";

let sim: RunningSimulator;
let client: CallAutomationClient;
let chunk: ChunkView;
let recordingId: string;

async function read(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const piece of stream as AsyncIterable<Buffer>) parts.push(piece);
  return Buffer.concat(parts);
}

const post = (body: unknown) =>
  fetch(`${sim.url}/simulator/faults`, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
    status: r.status,
    json: (await r.json()) as unknown,
  }));

beforeAll(async () => {
  sim = await startTestSimulator();
  client = sdkClient(sim);
  const { serverCallId } = await sim.placeCall({
    from: CALLER,
    to: CALLEE,
    durationMs: 60_000,
    recordingDurationMs: 2000,
  });
  await waitFor(() => sim.getCall(serverCallId)?.state === "established");
  const recording = client.getCallRecording();
  ({ recordingId } = await recording.start({
    callLocator: { id: serverCallId, kind: "serverCallLocator" },
    recordingContent: "audio",
    recordingChannel: "mixed",
    recordingFormat: "wav",
  }));
  await waitFor(() => sim.getCall(serverCallId)?.recordings[0]?.state === "active");
  await recording.stop(recordingId);
  chunk = await waitFor(() => sim.getCall(serverCallId)?.recordings[0]?.chunks[0]);
});
afterAll(async () => {
  await sim.stop();
});

describe("fault injection", () => {
  it("drops a download after N bytes, once; the next download is whole and a Range continues it", async () => {
    sim.addFault({ target: "download", kind: "drop-mid-body", afterBytes: 10_000, pathIncludes: chunk.documentId });
    const recording = client.getCallRecording();
    const dropped = await recording.downloadStreaming(chunk.contentLocation);
    const got: Buffer[] = [];
    await expect(
      (async () => {
        for await (const piece of dropped as AsyncIterable<Buffer>) got.push(piece);
      })(),
    ).rejects.toThrow();
    const head = Buffer.concat(got);
    expect(head.length).toBeLessThanOrEqual(10_000);
    expect(head.length).toBeGreaterThan(0);

    const rest = await read(await recording.downloadStreaming(chunk.contentLocation, { offset: head.length }));
    expect(createHash("sha256").update(head).update(rest).digest("hex")).toBe(chunk.sha256);
    const downloads = sim.requests().filter((r) => r.operation === "download");
    expect(downloads.at(-2)).toMatchObject({ fault: "drop-mid-body", status: 200 });
    expect(downloads.at(-1)).toMatchObject({ range: `bytes=${head.length}-`, status: 206 });
    expect(downloads.at(-1)?.fault).toBeUndefined();
    expect(sim.faults()).toEqual([]);
  });

  it("answers an empty body and an HTML page with 200, in the order queued", async () => {
    sim.addFault({ target: "download", kind: "empty-body" });
    sim.addFault({ target: "download", kind: "html-body" });
    const recording = client.getCallRecording();
    expect((await read(await recording.downloadStreaming(chunk.contentLocation))).length).toBe(0);
    expect((await read(await recording.downloadStreaming(chunk.contentLocation))).toString()).toBe(HTML_ERROR_PAGE);
    expect((await read(await recording.downloadStreaming(chunk.contentLocation))).length).toBe(chunk.sizeBytes);
  });

  it("queues status faults with Retry-After over HTTP, `times` of them, then answers normally", async () => {
    const added = await post({ target: "getRecording", kind: "status", status: 429, retryAfterSeconds: 2, times: 2 });
    expect(added.status).toBe(201);
    expect(added.json).toMatchObject([{ target: "getRecording", kind: "status", status: 429, remaining: 2 }]);
    const recording = client.getCallRecording();
    await expect(recording.getState(recordingId)).rejects.toMatchObject({ statusCode: 429 });
    const listed = (await (await fetch(`${sim.url}/simulator/faults`)).json()) as { remaining: number }[];
    expect(listed.map((f) => f.remaining)).toEqual([1]);
    await expect(recording.getState(recordingId)).rejects.toMatchObject({ statusCode: 429 });
    // The recording was stopped: the real answer is 404, no longer the fault.
    await expect(recording.getState(recordingId)).rejects.toMatchObject({ statusCode: 404 });
    const faulted = sim.requests().filter((r) => r.operation === "getRecording" && r.fault === "status");
    expect(faulted.map((r) => r.status)).toEqual([429, 429]);
  });

  it("delays a request by latencyMs", async () => {
    sim.addFault({ target: "download", kind: "latency", latencyMs: 300 });
    const started = Date.now();
    const body = await read(await client.getCallRecording().downloadStreaming(chunk.metadataLocation));
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(JSON.parse(body.toString())).toMatchObject({ chunkDocumentId: chunk.documentId });
  });

  it("start-recording-failed: the start is accepted, then StartRecordingFailed comes instead of any state event", async () => {
    const rx = await startReceiver();
    try {
      const { serverCallId } = await sim.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
      await waitFor(() => sim.getCall(serverCallId)?.state === "established");
      const added = await post({ target: "startRecording", kind: "start-recording-failed" });
      expect(added.status).toBe(201);
      const recording = client.getCallRecording();
      const started = await recording.start({
        callLocator: { id: serverCallId, kind: "serverCallLocator" },
        recordingStateCallbackEndpointUrl: `${rx.url}/cb`,
      });
      expect(started.recordingState).toBe("inactive");
      await rx.waitFor((all) => all.length > 0);
      const events = rx.received.flatMap((r) => r.json as { type: string; data: Record<string, unknown> }[]);
      expect(events.map((e) => e.type)).toEqual(["Microsoft.Communication.StartRecordingFailed"]);
      expect(events[0]?.data).toMatchObject({
        recordingId: started.recordingId,
        serverCallId,
        correlationId: expect.any(String),
        callConnectionId: expect.any(String),
        resultInformation: { code: expect.any(Number), subCode: expect.any(Number), message: expect.any(String) },
      });
      // Gone, as a stopped recording is; the call goes on; the next start is a normal one.
      await expect(recording.getState(started.recordingId)).rejects.toMatchObject({ statusCode: 404 });
      expect(sim.getCall(serverCallId)).toMatchObject({ state: "established", recordings: [{ state: "stopped" }] });
      expect(sim.requests().filter((r) => r.fault === "start-recording-failed")).toHaveLength(1);
      const again = await recording.start({ callLocator: { id: serverCallId, kind: "serverCallLocator" } });
      await waitFor(() => sim.getCall(serverCallId)?.recordings[1]?.state === "active");
      await recording.stop(again.recordingId);
      // Only the start operation can fail this way.
      expect((await post({ target: "connect", kind: "start-recording-failed" })).status).toBe(400);
    } finally {
      await rx.close();
    }
  });

  it("delay-state-event: the state event is held back and overtaken, but keeps the time it happened", async () => {
    const rx = await startReceiver();
    try {
      const { serverCallId } = await sim.placeCall({ from: CALLER, to: CALLEE, durationMs: 60_000 });
      await waitFor(() => sim.getCall(serverCallId)?.state === "established");
      sim.addFault({ target: "startRecording", kind: "delay-state-event", latencyMs: 300 });
      sim.addFault({ target: "pauseRecording", kind: "delay-state-event", latencyMs: 300 });
      const recording = client.getCallRecording();
      const { recordingId } = await recording.start({
        callLocator: { id: serverCallId, kind: "serverCallLocator" },
        recordingStateCallbackEndpointUrl: `${rx.url}/cb`,
      });
      const states = () =>
        rx.received
          .flatMap((r) => r.json as { time: string; data: { state: string; startDateTime: string } }[])
          .map((e) => ({
            state: e.data.state,
            time: Date.parse(e.time),
            placeholder: e.data.startDateTime.startsWith("0001"),
          }));
      // The recorded session's pair, swapped: active arrives first, then the placeholder inactive (older).
      await waitFor(() => states().length === 2, 3000);
      const [first, second] = states();
      expect([first?.state, second?.state, second?.placeholder]).toEqual(["active", "inactive", true]);
      expect(second!.time).toBeLessThan(first!.time);
      // A pause's inactive overtaken by the resume's active.
      await recording.pause(recordingId);
      await new Promise((r) => setTimeout(r, 20));
      await recording.resume(recordingId);
      await waitFor(() => states().length === 4, 3000);
      const [, , third, fourth] = states();
      expect([third?.state, fourth?.state, fourth?.placeholder]).toEqual(["active", "inactive", false]);
      expect(fourth!.time).toBeLessThan(third!.time);
      expect((await recording.getState(recordingId)).recordingState).toBe("active");
      await recording.stop(recordingId);
      expect((await post({ target: "download", kind: "delay-state-event" })).status).toBe(400);
    } finally {
      await rx.close();
    }
  });

  it("refuses bad fault specs with 400 naming the field, and DELETE clears the queue", async () => {
    expect((await post({ target: "nothing", kind: "status" })).status).toBe(400);
    const noStatus = await post({ target: "connect", kind: "status" });
    expect(noStatus).toMatchObject({ status: 400, json: { message: expect.stringContaining("status") } });
    await post([
      { target: "connect", kind: "latency", latencyMs: 10 },
      { target: "startRecording", kind: "status", status: 503 },
    ]);
    expect(sim.faults()).toHaveLength(2);
    expect((await fetch(`${sim.url}/simulator/faults`, { method: "DELETE" })).status).toBe(204);
    expect(sim.faults()).toEqual([]);
  });
});
