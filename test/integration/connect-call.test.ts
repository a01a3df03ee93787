// connect-call run again after its worker died: a call already connected is not connected a second time (ACS would
// make a second connection: the SDK's Repeatability-Request-ID is new on every call).
import { randomBytes } from "node:crypto";
import type { CallAutomationClient } from "@azure/communication-call-automation";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { deleteKeysMatching } from "../../scripts/local-stack/services.js";
import { createLogger } from "../../src/log.js";
import type { RedisClient } from "../../src/redis/index.js";
import { createRedisSessionStore, type SessionStore } from "../../src/sessions/index.js";
import type { WorkerDependencies } from "../../workers/dependencies.js";
import { connectCallJob } from "../../workers/jobs/control/connect-call.js";
import { connectRingingJob } from "../../workers/jobs/control/connect-ringing.js";
import { runJob } from "../support/run-job.js";
import { connectTarget } from "../support/redis-targets.js";

const prefix = `${inject("runId")}:${randomBytes(4).toString("hex")}`;
let redis: RedisClient;
let sessions: SessionStore;

beforeAll(() => {
  redis = connectTarget("single");
  sessions = createRedisSessionStore(redis, prefix);
});
afterAll(async () => {
  await deleteKeysMatching(redis, `${prefix}:*`);
  redis.disconnect();
});

/** Dependencies with an ACS that accepts every connect and records it, and no policy (nothing is recorded). */
function fakeDeps(connects: string[]): WorkerDependencies {
  const acs = {
    async connectCall(locator: { id: string }) {
      connects.push(locator.id);
      return { callConnectionProperties: { callConnectionId: `conn-${connects.length}` } };
    },
  } as unknown as CallAutomationClient;
  return {
    acs,
    sessions,
    logger: createLogger("silent", "test"),
    callbackUri: "http://127.0.0.1:1/api/callbacks",
    policies: () => [],
    policiesFor: () => undefined,
  } as unknown as WorkerDependencies;
}

describe("connect-call", () => {
  it("connects a call once: run again once the call is connected, it does nothing", async () => {
    const connects: string[] = [];
    const deps = fakeDeps(connects);

    await runJob(connectCallJob, deps, { serverCallId: "call-a", correlationId: "corr-a" });
    expect(connects).toEqual(["call-a"]);
    // Our connect's answer was stored, and its CallConnected processed.
    expect((await sessions.get("call-a")).ownConnectionId).toBe("conn-1");
    await sessions.noteConnected("call-a", "conn-1");
    // BullMQ runs the job again (its worker died before completing it).
    await runJob(connectCallJob, deps, { serverCallId: "call-a", correlationId: "corr-a" });
    expect(connects).toEqual(["call-a"]);
  });

  it("the ring watchdog killed between claiming the connect and connecting: run again, it connects", async () => {
    const connects: string[] = [];
    const deps = fakeDeps(connects);
    await sessions.addFacts("call-ringing", { rang: true, startedAt: new Date().toISOString() });
    // Its first run claimed the connect, then its worker died.
    expect(await sessions.claim("call-ringing", "connect", "ring-watch")).toBe(true);
    // A CallStarted handler cannot take the step over meanwhile...
    expect(await sessions.claim("call-ringing", "connect", "event:e1")).toBe(false);
    // ...and the watchdog's next run connects.
    await runJob(connectRingingJob, deps, { serverCallId: "call-ringing", correlationId: "corr-r" });
    expect(connects).toEqual(["call-ringing"]);
  });

  it("the call answered while the watchdog tried to connect: CallStarted could not claim, so the watchdog connects", async () => {
    const connects: string[] = [];
    const deps = fakeDeps(connects);
    await sessions.addFacts("call-answered", { rang: true, startedAt: new Date().toISOString() });
    // The watchdog's attempt holds the claim while the call is answered...
    expect(await sessions.claim("call-answered", "connect", "ring-watch")).toBe(true);
    // ...CallStarted is handled meanwhile: its claim fails, so its handler queues no connect...
    await sessions.addFacts("call-answered", { started: true });
    expect(await sessions.claim("call-answered", "connect", "event:started")).toBe(false);
    // ...the attempt found the call still ringing and gave the claim back.
    await sessions.release("call-answered", "connect");
    await runJob(connectRingingJob, deps, { serverCallId: "call-answered", correlationId: "corr-s" });
    expect(connects).toEqual(["call-answered"]);
  });

  it("a started call whose connect CallStarted's handler holds: the watchdog steps aside", async () => {
    const connects: string[] = [];
    const deps = fakeDeps(connects);
    await sessions.addFacts("call-started", { rang: true, started: true, startedAt: new Date().toISOString() });
    expect(await sessions.claim("call-started", "connect", "event:started")).toBe(true);
    await runJob(connectRingingJob, deps, { serverCallId: "call-started", correlationId: "corr-t" });
    expect(connects).toEqual([]);
  });
});
