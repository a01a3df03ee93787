// Reconciliation end to end (docs/reconciliation.md): the simulator writes ACS's call logs into Azurite as a
// diagnostic setting would; `recorder reconcile` reads them back and classifies every call a team member was on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReconcileDependencies, reconcileCommand } from "../../src/cli/reconcile-commands.js";
import { createLedger } from "../../src/ledger/index.js";
import type { ReconciledCall } from "../../src/reconcile/index.js";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ diagnosticLogs: { delayMs: 300 } });
});
afterAll(async () => {
  await stack?.stop();
});

interface Reconciled {
  code: number;
  calls: ReconciledCall[];
  summary: { counts: Record<string, number>; problems: string[] };
}

async function reconcileNow(variables: Record<string, string>): Promise<Reconciled> {
  const opened = await openReconcileDependencies(variables);
  const out: string[] = [];
  try {
    const code = await reconcileCommand(
      opened.dependencies,
      { since: "15m", json: true },
      { out: (line) => out.push(line), err: (line) => out.push(JSON.stringify({ err: line })) },
    );
    const parsed = out.map((line) => JSON.parse(line) as Record<string, unknown>);
    return {
      code,
      calls: parsed.filter((p) => "correlationId" in p) as unknown as ReconciledCall[],
      summary: parsed.find((p) => "summary" in p)!.summary as Reconciled["summary"],
    };
  } finally {
    opened.close();
  }
}

describe("reconciliation against ACS's own call logs", () => {
  it("reconciles a recorded call clean, and reports the call the webhook never heard of as never seen", async () => {
    const variables = { ...stack.env, RECONCILE_STORAGE_RESOURCE_ID: stack.acsArmResourceId };
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    const normal = await stack.simulator.placeCall({ from: ALICE, to: BOB, durationMs: 1_000 });
    await eventually(
      async () => ((await ledger.get(normal.serverCallId))?.outcome === "recorded" ? true : undefined),
      20_000,
      "the normal call recorded",
    );

    // Only the normal call so far: a clean run.
    const clean = await eventually(
      async () => {
        const run = await reconcileNow(variables);
        const call = run.calls.find((c) => c.correlationId === normal.correlationId);
        return call?.recordings.length ? run : undefined;
      },
      20_000,
      "ACS's logs of the normal call",
    );
    expect(clean.calls.map((c) => [c.correlationId, c.status])).toEqual([[normal.correlationId, "verified"]]);
    expect(clean.calls[0]!.serverCallIds).toEqual([normal.serverCallId]);
    const [recording] = clean.calls[0]!.recordings;
    expect(recording!.problem).toBeUndefined();
    expect(recording!.ours?.chunkCount).toBe(recording!.acs.chunkCount);
    expect(clean.summary.problems).toEqual([]);
    expect(clean.code).toBe(0);

    // A call whose Event Grid events never reach us (the subscription filtered it out): ACS still logs it.
    const unheard = await stack.simulator.placeCall({
      from: ALICE,
      to: BOB,
      durationMs: 1_000,
      eventGridDelivery: false,
    });
    const found = await eventually(
      async () => {
        const run = await reconcileNow(variables);
        return run.calls.some((c) => c.correlationId === unheard.correlationId) ? run : undefined;
      },
      20_000,
      "ACS's logs of the unheard call",
    );
    expect(await ledger.get(unheard.serverCallId)).toBeUndefined();
    const byCall = new Map(found.calls.map((c) => [c.correlationId, c]));
    expect(byCall.get(normal.correlationId)?.status).toBe("verified");
    expect(byCall.get(unheard.correlationId)).toMatchObject({
      status: "never-seen",
      teams: ["trading-desk"],
      serverCallIds: [],
      // Nobody started a recording: the app never heard of the call.
      recordings: [],
    });
    expect(found.summary.counts).toMatchObject({ verified: 1, "never-seen": 1 });
    expect(found.code).toBe(1);
  });

  it("reports a recording ACS made that we never archived as incomplete", async () => {
    const variables = { ...stack.env, RECONCILE_STORAGE_RESOURCE_ID: stack.acsArmResourceId };
    const ledger = createLedger(stack.runtime.redis, stack.config.REDIS_PREFIX);
    // The subscription's filter leaves out RecordingFileStatusUpdated: the app records the call, never hears of the file.
    const call = await stack.simulator.placeCall({
      from: ALICE,
      to: BOB,
      durationMs: 1_000,
      eventGridDroppedTypes: ["Microsoft.Communication.RecordingFileStatusUpdated"],
    });
    await eventually(
      async () => ((await ledger.get(call.serverCallId))?.endedAt ? true : undefined),
      40_000,
      "the call's end in the ledger",
    );
    const found = await eventually(
      async () => {
        const run = await reconcileNow(variables);
        const reconciled = run.calls.find((c) => c.correlationId === call.correlationId);
        return reconciled?.recordings.length ? reconciled : undefined;
      },
      40_000,
      "ACS's logs of the call whose recording we never heard of",
    );
    expect((await ledger.get(call.serverCallId))?.outcome).toBe("pending");
    expect(found).toMatchObject({ status: "incomplete", serverCallIds: [call.serverCallId] });
    expect(found.detail).toMatch(/: not archived by us$/);
    expect(found.recordings[0]!.acs.chunkCount).toBeGreaterThanOrEqual(1);
  });
});
