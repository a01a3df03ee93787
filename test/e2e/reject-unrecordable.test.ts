// Rejecting at IncomingCall when recording is known to be impossible (issue 5): Blob storage is taken away,
// the storage probe marks it down, and a ringing call whose policy says `reject` is refused through Call
// Automation; a call whose policy says `hang-up` is not; with storage back, calls are recorded again.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keysMatching } from "../../scripts/local-stack/services.js";
import { createLedger } from "../../src/ledger/index.js";
import { metrics } from "../../src/metrics.js";
import { eventually, startStack, type Stack } from "../support/stack.js";

const RESOURCE = "5e1f7a2c-0d3b-4c8e-9a61-2f4b8c7d9e10";
const user = (name: string) => `8:acs:${RESOURCE}_${name}`;
const RING_MS = 2500;

const policy = (id: string, members: string[], onStartFailure: "reject" | "hang-up") => `version: 1
team: { id: ${id}, name: ${id} }
members: [${members.map((m) => `"${m}"`).join(", ")}]
rules:
  - id: record-all
    mode: required
    recording: { content: audio, channel: mixed, format: wav }
    enforcement: { startWithinSeconds: 10, onStartFailure: ${onStartFailure}, onStop: alert }
`;

let stack: Stack;
let policyDir: string;
beforeAll(async () => {
  policyDir = await mkdtemp(join(tmpdir(), "reject-policies-"));
  await writeFile(join(policyDir, "guarded.yaml"), policy("guarded", [user("g1"), user("g2")], "reject"));
  await writeFile(join(policyDir, "closer.yaml"), policy("closer", [user("h1"), user("h2")], "hang-up"));
  // Calls ring for 2.5 s: time for IncomingCall to reach the app and the reject to reach ACS.
  stack = await startStack({ policyDir, timings: { ringMs: RING_MS }, env: { HEALTH_PROBE_SECONDS: "1" } });
});
afterAll(async () => {
  await stack?.stop();
  await rm(policyDir, { recursive: true, force: true });
});

const rejectsOf = (serverCallId: string) =>
  stack.simulator.requests().filter((r) => r.operation === "reject" && r.serverCallId === serverCallId);

async function rejectionsCounted(): Promise<number> {
  const metric = (await metrics.getMetricsAsJSON()).find((m) => m.name === "enforcement_actions_total");
  return (metric?.values ?? [])
    .filter((v) => v.labels.trigger === "incoming-call" && v.labels.action === "reject")
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * The keys of this run's prefix whose content (any Redis type: BullMQ jobs are hashes, the outbox a stream)
 * holds `value`: where an IncomingCall's context could linger (job data, outbox, sessions).
 */
async function keysHolding(value: string): Promise<string[]> {
  const redis = stack.runtime.redis;
  const holding: string[] = [];
  for (const key of await keysMatching(redis, `${stack.config.REDIS_PREFIX}:*`)) {
    const type = await redis.type(key);
    const content =
      type === "string"
        ? [await redis.get(key)]
        : type === "hash"
          ? Object.entries(await redis.hgetall(key)).flat()
          : type === "list"
            ? await redis.lrange(key, 0, -1)
            : type === "set"
              ? await redis.smembers(key)
              : type === "zset"
                ? await redis.zrange(key, "0", "-1")
                : type === "stream"
                  ? (await redis.xrange(key, "-", "+")).flatMap(([, fields]) => fields)
                  : [];
    if (content.some((text) => text?.includes(value))) holding.push(key);
  }
  return holding;
}

/** Waits until no key of the run holds the call's incoming call context (it must not stay in job data). */
async function contextForgotten(serverCallId: string): Promise<void> {
  const context = stack.simulator.getCall(serverCallId)?.incomingCallContext;
  expect(context).toBeTruthy();
  // The scan itself finds what is there: the call's id is in its session and jobs.
  expect((await keysHolding(serverCallId)).length).toBeGreaterThan(0);
  await eventually(
    async () => ((await keysHolding(context!)).length === 0 ? true : undefined),
    5000,
    "no Redis key to hold the incoming call context",
  ).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}; still in ${(await keysHolding(context!)).join(", ")}`);
  });
}

/** Places a call and waits until it is being recorded: established, and a recording started by the app. */
async function recordedCall(from: string, to: string): Promise<string> {
  // Long enough, once answered, for a loaded machine to join and start recording.
  const { serverCallId } = await stack.simulator.placeCall({ from, to, durationMs: 4000 });
  await eventually(
    () => (stack.simulator.getCall(serverCallId)?.recordings.length ? true : undefined),
    RING_MS + 10_000,
    "the call to be recorded",
  );
  return serverCallId;
}

describe("rejecting at IncomingCall when recording is impossible", () => {
  it("healthy: a call that rings longer than the ring watchdog's first try is answered and recorded, not rejected", async () => {
    // The watchdog tries to connect 1.5 s after ringing; this call is answered at 2.5 s.
    const healthyCall = await recordedCall(user("g1"), user("g2"));
    expect(rejectsOf(healthyCall)).toEqual([]);
    expect(stack.simulator.getCall(healthyCall)?.rejectedWith).toBeUndefined();
    // Not needed for a reject: the context is dropped, and the IncomingCall's completed job never held it.
    await contextForgotten(healthyCall);
  });

  it("rejects a ringing call whose policy says reject once storage is down, and only that one", async () => {
    const rejectionsBefore = await rejectionsCounted();
    await stack.stopAzurite();
    try {
      await eventually(
        async () => ((await stack.runtime.health.read()).storage.down ? true : undefined),
        15_000,
        "the storage probe to mark storage down",
      );

      const { serverCallId } = await stack.simulator.placeCall({ from: user("g1"), to: user("g2"), durationMs: 5000 });
      const reject = await eventually(() => rejectsOf(serverCallId)[0], RING_MS + 5000, "the reject request");
      expect(reject).toMatchObject({ status: 204, signatureValid: true });
      const call = stack.simulator.getCall(serverCallId);
      // Refused while ringing: never established, nobody connected, nothing recorded.
      expect(call).toMatchObject({ state: "ended", rejectedWith: "forbidden", connections: [], recordings: [] });
      expect(
        stack.simulator.requests().filter((r) => r.serverCallId === serverCallId && r.operation === "connect"),
      ).toEqual([]);

      // On record: failed, with why, and the action.
      const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
      const entry = await eventually(
        async () => {
          const found = await ledger.get(serverCallId);
          return found?.outcome === "failed" && found.actions?.length ? found : undefined;
        },
        5000,
        "the ledger entry",
      );
      expect(entry).toMatchObject({ teamId: "guarded", actions: [{ trigger: "incoming-call", action: "reject" }] });
      expect(entry.reason).toMatch(/^rejected while ringing: recording impossible: storage: probe failed/);
      expect((await rejectionsCounted()) - rejectionsBefore).toBe(1);
      // Used: the context is in no job (the IncomingCall's, the reject's) nor anywhere else in Redis.
      await contextForgotten(serverCallId);

      // A reject that fails for good (ACS answers 5xx to every try): the context is gone after the last try.
      // (Before the hang-up call below, whose successful connect clears the ACS failures these count.)
      // (A faulted request is answered before the simulator looks the call up: counted by operation.)
      const failedRejects = () =>
        stack.simulator.requests().filter((r) => r.operation === "reject" && r.status === 501).length;
      stack.simulator.addFault({ target: "reject", kind: "status", status: 501, times: 3 });
      const unrejectable = (await stack.simulator.placeCall({ from: user("g1"), to: user("g2"), durationMs: 1000 }))
        .serverCallId;
      await eventually(() => (failedRejects() === 3 ? true : undefined), RING_MS + 5000, "three failed rejects");
      await contextForgotten(unrejectable);
      expect(stack.simulator.getCall(unrejectable)?.rejectedWith).toBeUndefined();

      // A policy that says hang-up does not reject, whatever the health: the call is answered.
      const closer = await recordedCall(user("h1"), user("h2"));
      expect(rejectsOf(closer)).toEqual([]);
    } finally {
      await stack.startAzurite();
    }

    // Storage back: the probe clears it, and calls are recorded again.
    await eventually(
      async () => ((await stack.runtime.health.read()).storage.down ? undefined : true),
      15_000,
      "the storage probe to mark storage up",
    );
    const afterCall = await recordedCall(user("g1"), user("g2"));
    expect(rejectsOf(afterCall)).toEqual([]);
    expect((await rejectionsCounted()) - rejectionsBefore).toBe(1);
  }, 90_000);

  it("rejects when ACS itself keeps failing (control requests answered 5xx), and says so", async () => {
    // Every connect is answered 501 (not retried by the SDK): a call of the hang-up team fails to be joined.
    stack.simulator.addFault({ target: "connect", kind: "status", status: 501, times: 1000 });
    try {
      await stack.simulator.placeCall({ from: user("h1"), to: user("h2"), durationMs: 1000 });
      await eventually(
        async () =>
          (await stack.runtime.health.read()).acs.failures >= stack.config.HEALTH_FAILURES_TO_TRIP ? true : undefined,
        20_000,
        "failed connects to mark ACS unhealthy",
      );
      const { serverCallId } = await stack.simulator.placeCall({ from: user("g1"), to: user("g2"), durationMs: 5000 });
      await eventually(() => rejectsOf(serverCallId)[0], RING_MS + 5000, "the reject request");
      const entry = await eventually(
        async () => {
          const found = await createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX).get(serverCallId);
          return found?.outcome === "failed" ? found : undefined;
        },
        5000,
        "the ledger entry",
      );
      expect(entry.reason).toMatch(/recording impossible: acs: \d+ failures in a row \(last: connect-call: /);
    } finally {
      stack.simulator.clearFaults();
    }
    // The reject itself was answered by ACS: the failures in a row are over.
    await eventually(
      async () => ((await stack.runtime.health.read()).acs.failures === 0 ? true : undefined),
      5000,
      "the successful reject to clear the ACS failures",
    );
  }, 60_000);
});
