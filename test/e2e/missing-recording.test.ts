import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedger } from "../../src/ledger/index.js";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  // ACS takes a minute to publish the recording; the app expects it within 2 s of the call's end.
  stack = await startStack({ timings: { fileStatusDelayMs: 60_000 }, env: { RECORDING_EXPECTED_WITHIN_SECONDS: "2" } });
});
afterAll(async () => {
  await stack?.stop();
});

describe("a recording that does not arrive after the call", () => {
  it("raises an alert on record once the expected time has passed", async () => {
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    const { serverCallId } = await stack.simulator.placeCall({ from: ALICE, to: BOB, durationMs: 1_000 });
    await eventually(
      async () => ((await ledger.get(serverCallId))?.endedAt ? true : undefined),
      10_000,
      "the call's end",
    );
    const endedAt = Date.now();
    expect((await ledger.get(serverCallId))?.actions).toBeUndefined();
    const entry = await eventually(
      async () => {
        const found = await ledger.get(serverCallId);
        return found?.actions?.length ? found : undefined;
      },
      10_000,
      "the alert",
    );
    expect(Date.now() - endedAt).toBeGreaterThanOrEqual(1_000);
    expect(entry).toMatchObject({ outcome: "pending", actions: [{ trigger: "after-call", action: "alert" }] });
    expect(entry.actions?.[0]?.reason).toContain("no recording 2 s after the call ended");
  });
});
