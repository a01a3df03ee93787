// `recorder events replay`: a RecordingFileStatusUpdated that Event Grid could not deliver (dead-lettered into a
// blob) is sent back through the webhook, and its recording is archived; a second run sends nothing, and the
// same event from another blob is accepted as a duplicate without a second download.
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import { BlobServiceClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeSegment } from "../../src/archive/naming.js";
import { replayCommand } from "../../src/cli/events-commands.js";
import { REPLAYED_AT } from "../../src/deadletter/replay.js";
import { createLedger } from "../../src/ledger/index.js";
import { drained } from "../support/jobs.js";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

const CONTAINER = "eventgrid-deadletter";
let stack: Stack;
let proxy: Server;
/** Deliveries Event Grid "could not make": held back from the app. */
const heldBack: Record<string, unknown>[] = [];

beforeAll(async () => {
  stack = await startStack();
  const target = new URL(stack.eventGridUrl);
  // Stands between the simulator's Event Grid and the app: passes everything on except RecordingFileStatusUpdated.
  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    if (body.includes("Microsoft.Communication.RecordingFileStatusUpdated")) {
      heldBack.push(...(JSON.parse(body) as Record<string, unknown>[]));
      res.writeHead(200).end();
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !["host", "content-length", "connection"].includes(name)),
    ) as Record<string, string>;
    try {
      const answer = await fetch(new URL(req.url ?? "/", target.origin), {
        method: req.method ?? "POST",
        headers,
        ...(body ? { body } : {}),
      });
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(await answer.text());
    } catch {
      // Never leave the simulator waiting (it would hold later events back): a 502 is retried soon.
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const address = proxy.address();
  const port = typeof address === "object" && address ? address.port : 0;
  await stack.simulator.setEventGridSubscription(`http://127.0.0.1:${port}${target.pathname}${target.search}`);
});
afterAll(async () => {
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await stack?.stop();
});

/** Archived (sha256 set) chunk blobs of a call. */
async function archivedChunks(serverCallId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of stack.runtime.container.listBlobsFlat({ includeMetadata: true })) {
    if (blob.name.includes(`/${safeSegment(serverCallId)}/`) && blob.name.endsWith(".wav") && blob.metadata?.sha256)
      names.push(blob.name);
  }
  return names;
}

const io = () => {
  const lines: string[] = [];
  return { lines, out: (line: string) => lines.push(line), err: (line: string) => lines.push(`ERR ${line}`) };
};

describe("recorder events replay", () => {
  it("replays a dead-lettered RecordingFileStatusUpdated through the webhook, once", { timeout: 150_000 }, async () => {
    const { serverCallId } = await stack.simulator.placeCall({ from: ALICE, to: BOB, durationMs: 4000 });
    const event = await eventually(
      () => heldBack.find((e) => JSON.stringify(e).includes(serverCallId)),
      40_000,
      "the RecordingFileStatusUpdated, held back",
    );
    await eventually(
      async () => ((await stack.runtime.sessions.get(serverCallId)).ended ? true : undefined),
      10_000,
      "CallEnded at the app",
    );
    expect(await archivedChunks(serverCallId)).toEqual([]);

    // What Event Grid writes after its retries: a JSON array, dead-letter fields added, under the subscription name.
    // (The archive's account here; a deployment may point BLOB_CONNECTION_STRING at another.)
    const container = BlobServiceClient.fromConnectionString(stack.env.BLOB_CONNECTION_STRING!).getContainerClient(
      CONTAINER,
    );
    await container.createIfNotExists();
    const letter = {
      ...event,
      deadLetterReason: "MaxDeliveryAttemptsExceeded",
      deliveryAttempts: 30,
      lastDeliveryOutcome: "TimedOut",
      lastHttpStatusCode: 0,
      publishTime: new Date().toISOString(),
      lastDeliveryAttemptTime: new Date().toISOString(),
    };
    const blobName = `RECORDER-CALL-EVENTS/2026/1/2/3/${randomUUID()}.json`;
    const body = JSON.stringify([letter]);
    await container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body));
    const env = {
      BLOB_CONNECTION_STRING: stack.env.BLOB_CONNECTION_STRING,
      EVENTGRID_SECRET: stack.env.EVENTGRID_SECRET,
    };
    const options = { container: CONTAINER, url: stack.webhookUrl, prefix: "RECORDER-CALL-EVENTS/" };

    // Dry run, through the real command line: lists, sends nothing, marks nothing.
    const dry = spawnSync(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "events", "replay", "--container", CONTAINER, "--dry-run", "--json"],
      { env: { ...process.env, ...env, RECORDER_URL: stack.webhookUrl }, encoding: "utf8" },
    );
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      blobs: { seen: 1, alreadyReplayed: 0 },
      events: { wouldSend: 1, sent: 0 },
    });
    expect((await container.getBlockBlobClient(blobName).getProperties()).metadata?.[REPLAYED_AT]).toBeUndefined();

    // A wrong secret: refused (401), the blob stays to be replayed.
    const refused = io();
    expect(await replayCommand(options, { ...env, EVENTGRID_SECRET: "wrong" }, refused)).toBe(1);
    expect(refused.lines.join("\n")).toMatch(/HTTP 401/);
    expect((await container.getBlockBlobClient(blobName).getProperties()).metadata?.[REPLAYED_AT]).toBeUndefined();

    const first = io();
    expect(await replayCommand(options, env, first)).toBe(0);
    expect(first.lines.at(-1)).toMatch(/1 event\(s\) sent: 1 accepted, 0 refused, 0 not delivered; 1 blob\(s\) marked/);
    expect((await container.getBlockBlobClient(blobName).getProperties()).metadata).toMatchObject({
      [REPLAYED_AT]: expect.any(String),
      replayedevents: "1",
    });

    const archived = await eventually(
      async () => ((await archivedChunks(serverCallId)).length > 0 ? archivedChunks(serverCallId) : undefined),
      40_000,
      "the replayed recording archived",
    );
    expect(archived).toHaveLength(1);
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    await eventually(
      async () => ((await ledger.get(serverCallId))?.outcome === "recorded" ? true : undefined),
      10_000,
      "ledger: recorded",
    );

    // Again: the blob is marked, nothing is sent.
    const second = io();
    expect(await replayCommand(options, env, second)).toBe(0);
    expect(second.lines.at(-1)).toMatch(/1 replayed before; 0 event\(s\) sent/);

    // The same event in another blob (Event Grid may dead-letter a copy): accepted, de-duplicated by id.
    const documentId = stack.simulator.getCall(serverCallId)?.recordings[0]?.chunks[0]?.documentId;
    expect(documentId).toBeTruthy();
    const downloads = () =>
      stack.simulator.requests().filter((r) => r.operation === "download" && r.path.includes(documentId!)).length;
    expect(downloads()).toBeGreaterThan(0);
    const before = downloads();
    await container
      .getBlockBlobClient(`RECORDER-CALL-EVENTS/2026/1/2/4/${randomUUID()}.json`)
      .upload(body, Buffer.byteLength(body));
    const third = io();
    expect(await replayCommand(options, env, third)).toBe(0);
    expect(third.lines.at(-1)).toMatch(/1 event\(s\) sent: 1 accepted/);
    // Once everything the webhook accepted has been worked off: no download again, nothing new archived.
    await drained(stack);
    expect(downloads()).toBe(before);
    expect(await archivedChunks(serverCallId)).toEqual(archived);
  });
});
