import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let fanOut: Server;
const forwarded: number[][] = [];
/** When set, the second instance gets each event under another id, so intake de-duplication cannot help. */
let renameCopies = false;

/**
 * Every Event Grid delivery goes to both app instances at the same moment — what a redelivery racing the
 * first attempt, or two subscriptions, look like to the system.
 */
async function startFanOut(targets: string[]): Promise<string> {
  fanOut = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === "string" && (name === "content-type" || name.startsWith("aeg-"))) headers[name] = value;
      }
      const body = Buffer.concat(chunks);
      const copy = renameCopies ? renamed(body) : body;
      const bodies = [body, copy];
      void Promise.all(targets.map((url, i) => fetch(url, { method: "POST", headers, body: bodies[i] }))).then(
        async (responses) => {
          forwarded.push(responses.map((r) => r.status));
          res.statusCode = responses[0]!.status;
          res.setHeader("content-type", "application/json");
          res.end(await responses[0]!.text());
        },
      );
    });
  });
  await new Promise<void>((resolve) => fanOut.listen(0, "127.0.0.1", resolve));
  const address = fanOut.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
}

/** The same delivery with every event's own id changed (nothing else). */
function renamed(body: Buffer): Buffer {
  const events = JSON.parse(body.toString("utf8")) as { id: string }[];
  return Buffer.from(JSON.stringify(events.map((event) => ({ ...event, id: `${event.id}-copy` }))));
}

beforeAll(async () => {
  stack = await startStack();
  const replica = await stack.startReplica();
  await stack.simulator.setEventGridSubscription(await startFanOut([stack.eventGridUrl, replica.eventGridUrl]));
});
afterAll(async () => {
  await new Promise<void>((resolve) => (fanOut ? fanOut.close(() => resolve()) : resolve()));
  await stack?.stop();
});

describe("two app instances receiving the same events at once", () => {
  it.each([
    ["the same event ids (intake de-duplication)", false],
    ["different event ids (the per-call claims)", true],
  ])("connect and start recording each call exactly once: %s", async (_name, rename) => {
    renameCopies = rename;
    const calls = await Promise.all(
      Array.from({ length: 5 }, () => stack.simulator.placeCall({ from: ALICE, to: BOB, durationMs: 20_000 })),
    );
    for (const { serverCallId } of calls) {
      await eventually(
        () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
        20_000,
        "recording",
      );
    }
    for (const { serverCallId } of calls) {
      const ops = (operation: string) =>
        stack.simulator.requests().filter((r) => r.operation === operation && r.serverCallId === serverCallId);
      expect(ops("connect").map((r) => r.status)).toEqual([200]);
      expect(ops("startRecording").map((r) => r.status)).toEqual([200]);
      expect(stack.simulator.getCall(serverCallId)?.recordings).toHaveLength(1);
    }
    // Both instances really received every delivery (and answered it).
    expect(forwarded.length).toBeGreaterThan(10);
    expect(forwarded.every((statuses) => statuses.length === 2 && statuses.every((s) => s === 200))).toBe(true);
    for (const { serverCallId } of calls) await stack.simulator.endCall(serverCallId);
  });
});
