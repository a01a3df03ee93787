// kill -9 of a worker process in the middle of a ≥ 200 MB chunk: a new worker process resumes it with Range.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALICE, BOB, eventually, startStack, type Stack, stagedChunkBlob } from "../support/stack.js";

const BLOCK = 8 * 1024 * 1024;
let stack: Stack;
const children: ChildProcess[] = [];

function startWorkerProcess(): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "workers/main.ts"], {
    env: { ...process.env, ...stack.env },
    stdio: ["ignore", "ignore", "inherit"],
  });
  children.push(child);
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) =>
    child.exitCode !== null || child.signalCode ? resolve() : child.once("exit", () => resolve()),
  );

beforeAll(async () => {
  stack = await startStack({
    workers: "none",
    env: { INGEST_BLOCK_BYTES: String(BLOCK), WORKER_LOCK_MS: "3000", LOG_LEVEL: "warn" },
  });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && !child.signalCode) child.kill("SIGKILL");
  await Promise.all(children.map(exited));
  await stack?.stop();
});

describe("a worker process killed mid-chunk", () => {
  it("is replaced by a new worker that resumes from the staged blocks; the archived hash matches the source", async () => {
    const first = startWorkerProcess();
    // Unmixed two-party WAV, 64 kB/s of audio: 3 400 s ≈ 218 MB.
    const { serverCallId } = await stack.simulator.placeCall({
      from: ALICE,
      to: BOB,
      // Long enough for the worker process (started just now) to connect and start the recording.
      durationMs: 8000,
      recordingDurationMs: 3_400_000,
    });
    // The simulator hashes the 218 MB before it announces the chunk: on a loaded 2-core machine that takes a while.
    const chunk = await eventually(
      () => stack.simulator.getCall(serverCallId)?.recordings[0]?.chunks[0],
      60_000,
      "the large chunk",
    );
    expect(chunk.sizeBytes).toBeGreaterThanOrEqual(200 * 1024 * 1024);

    // Wait until some blocks are staged (not committed), then kill -9.
    const staged = await stagedChunkBlob(stack.runtime.container, serverCallId, 3, "blocks staged by the first worker");
    first.kill("SIGKILL");
    await exited(first);
    const committed = await stack.runtime.container.getBlockBlobClient(staged).exists();
    expect(committed).toBe(false);

    startWorkerProcess();
    const sha256 = await eventually(
      async () =>
        (
          await stack.runtime.container
            .getBlockBlobClient(staged)
            .getProperties()
            .catch(() => undefined)
        )?.metadata?.sha256,
      90_000,
      "the chunk archived by the second worker",
    );
    expect(sha256).toBe(chunk.sha256);
    const properties = await stack.runtime.container.getBlockBlobClient(staged).getProperties();
    expect(properties.contentLength).toBe(chunk.sizeBytes);

    const downloads = stack.simulator
      .requests()
      .filter((r) => r.operation === "download" && r.serverCallId === serverCallId && !r.path.endsWith("/acsmetadata"));
    // The first worker's download, then the new worker's: ranged, from a block boundary past what was staged —
    // never from byte 0 again. (A loaded machine can make the new worker retry its own ranged download.)
    expect(downloads.length).toBeGreaterThanOrEqual(2);
    expect(downloads[0]?.range).toBeUndefined();
    for (const resumed of downloads.slice(1)) {
      const offset = Number(/^bytes=(\d+)-$/.exec(resumed.range ?? "")?.[1]);
      expect(offset).toBeGreaterThanOrEqual(3 * BLOCK);
      expect(offset % BLOCK).toBe(0);
    }
  }, 150_000);
});
