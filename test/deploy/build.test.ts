// The production form, run: `npm run build` (into a directory of its own), then the compiled webhook and worker
// started with exactly the production commands (PRODUCTION_COMMANDS) and environment record a call end to end
// against the simulator, Redis and Azurite, and the compiled webhook serves the QA page it was built with.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { execFile } from "node:child_process";
import { cp, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "../../scripts/build.js";
import {
  PRODUCTION_COMMANDS,
  productionProcess,
  projectRoot,
  startAppProcess,
  type AppProcess,
} from "../../scripts/local-stack/processes.js";
import { freePort } from "../../scripts/local-stack/services.js";
import { safeSegment } from "../../src/archive/naming.js";
import { ALICE, BOB, eventually, placeRecordedCall, startStack, type Stack } from "../support/stack.js";

// Laid out as the image is: <image>/dist (the build) and <image>/bin, with no sources beside them.
const imageDir = join(projectRoot, ".build", `test-${randomBytes(4).toString("hex")}`);
const outDir = join(imageDir, "dist");
let stack: Stack;
let logDir: string;
const processes: AppProcess[] = [];

/** A production command, with the build's directory in place of dist/. */
function compiled(name: keyof typeof PRODUCTION_COMMANDS): { entry: string; nodeFlags: string[] } {
  const [node, ...args] = PRODUCTION_COMMANDS[name];
  expect(node).toBe("node");
  expect(args.at(-1)!.startsWith("dist/")).toBe(true);
  return productionProcess(name, outDir);
}

beforeAll(async () => {
  await build(outDir);
  await cp(join(projectRoot, "bin"), join(imageDir, "bin"), { recursive: true });
  stack = await startStack({ workers: "none" });
  logDir = outDir;
}, 180_000);
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await stack?.stop();
  await rm(imageDir, { recursive: true, force: true });
});

describe("npm run build: the compiled processes, as deployed", () => {
  it("record and archive a call, and the webhook serves the QA page", async () => {
    const port = await freePort();
    const webhookUrl = `http://127.0.0.1:${port}`;
    // The worker announces readiness at info.
    const env = { ...stack.env, PORT: String(port), PUBLIC_BASE_URL: webhookUrl, LOG_LEVEL: "info" };
    const webhook = compiled("webhook");
    const worker = compiled("worker");
    processes.push(await startAppProcess("compiled-webhook", webhook.entry, env, { port }, logDir, webhook.nodeFlags));
    processes.push(
      await startAppProcess(
        "compiled-worker",
        worker.entry,
        env,
        { logLine: "workers running" },
        logDir,
        worker.nodeFlags,
      ),
    );
    // Event Grid now delivers to the compiled webhook (the stack's own webhook has no workers behind it).
    await stack.simulator.setEventGridSubscription(`${webhookUrl}/api/eventgrid?code=${stack.env.EVENTGRID_SECRET}`);

    const { serverCallId } = await placeRecordedCall(stack.simulator, { from: ALICE, to: BOB, recordedMs: 1000 });
    const chunk = await eventually(
      () => stack.simulator.getCall(serverCallId)?.recordings[0]?.chunks[0],
      20_000,
      "a recording chunk",
    );
    const archived = await eventually(
      async () => {
        for await (const blob of stack.runtime.container.listBlobsFlat({ includeMetadata: true })) {
          if (
            blob.name.includes(`/${safeSegment(serverCallId)}/`) &&
            blob.name.endsWith(".wav") &&
            blob.metadata?.sha256
          )
            return blob;
        }
        return undefined;
      },
      30_000,
      "the chunk archived by the compiled worker",
    );
    expect(archived.metadata?.sha256).toBe(chunk.sha256);
    // Every connect and start came from the compiled processes: the callback URL is the compiled webhook's.
    const connects = stack.simulator
      .requests()
      .filter((r) => r.operation === "connect" && r.serverCallId === serverCallId);
    expect(connects.map((r) => r.status)).toEqual([200]);

    const ready = await fetch(`${webhookUrl}/readyz`);
    expect(ready.status).toBe(200);
    const page = await fetch(`${webhookUrl}/qa`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    expect((await fetch(`${webhookUrl}/qa/app.js`)).status).toBe(200);
  });

  it("the recorder CLI runs compiled, without its TypeScript sources (as in the image)", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(imageDir, "bin", "recorder.mjs"), "policy", "lint", "policies"],
      {
        cwd: projectRoot,
      },
    );
    expect(stdout).toMatch(/\d+ files: 0 errors/);
  });

  it("on SIGTERM the webhook finishes the request in flight, closes its connection once idle, and exits", async () => {
    const port = await freePort();
    const env = { ...stack.env, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "info" };
    const webhook = compiled("webhook");
    const process = await startAppProcess(
      "compiled-webhook-stop",
      webhook.entry,
      env,
      { port },
      logDir,
      webhook.nodeFlags,
    );
    processes.push(process);
    // A keep-alive client whose request is still arriving when the webhook is told to stop.
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    const body = "[]";
    socket.write(
      `POST /api/eventgrid?code=${stack.env.EVENTGRID_SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    const answers: string[] = [];
    socket.on("data", (data: Buffer) => answers.push(data.toString()));
    await new Promise((r) => setTimeout(r, 200));
    const exited = once(process.child, "exit");
    const stoppedAt = Date.now();
    process.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    socket.write(body);
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    // Answered, then the idle keep-alive connection closed at once rather than after its 5 s keep-alive timeout.
    expect(answers.join("")).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    socket.destroy();
  });
});
