// Worker roles (WORKER_ROLE, docs/operations.md "Worker roles"): a worker runs only the queues of its roles, and
// the webhook's /readyz says which role no worker serves. Workers in this process, one per role, on one stack.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { safeSegment } from "../../src/archive/naming.js";
import { createLogger } from "../../src/log.js";
import type { WorkerRole } from "../../src/queues/index.js";
import { createWorkerDependencies } from "../../workers/dependencies.js";
import { startWorkers, type RunningWorkers } from "../../workers/run.js";
import { ALICE, BOB, eventually, startStack, type Stack } from "../support/stack.js";

let stack: Stack;
const running: RunningWorkers[] = [];

function startRole(...roles: WorkerRole[]): RunningWorkers {
  const logger = createLogger(stack.config.LOG_LEVEL, `worker-${roles.join("-")}`);
  const workers = startWorkers(
    createWorkerDependencies(stack.config, stack.runtime, logger),
    stack.runtime.redis,
    stack.config.REDIS_PREFIX,
    stack.config.WORKER_CONCURRENCY,
    roles,
  );
  running.push(workers);
  return workers;
}

async function readyz(): Promise<{ status: number; checks: Record<string, string>; info: { workers: unknown } }> {
  const answer = await fetch(`${stack.opsUrl}/readyz`);
  const body = (await answer.json()) as { checks: Record<string, string>; info: { workers: unknown } };
  return { status: answer.status, ...body };
}

const metric = async (series: string) => {
  const text = await (await fetch(`${stack.opsUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

beforeAll(async () => {
  stack = await startStack({ workers: "none" });
});
afterAll(async () => {
  for (const workers of running) await workers.close();
  await stack?.stop();
});

describe("worker roles", () => {
  it("runs only its roles' queues: no call is connected until a control worker runs, archiving needs no control worker", async () => {
    expect(await readyz()).toMatchObject({
      status: 200,
      checks: { workers: "degraded: no worker alive: events and recordings wait in Redis" },
    });

    const ingest = startRole("ingest", "retrieval");
    expect(ingest.workers.map((w) => w.name)).toEqual(["ingest", "export"]);
    await ingest.heartbeat.started;
    expect(await readyz()).toMatchObject({
      status: 200,
      checks: { workers: "degraded: no worker alive serves control: its queues wait (WORKER_ROLE)" },
    });
    expect(await metric('workers_alive_by_role{role="control"}')).toBe(0);
    expect(await metric('workers_alive_by_role{role="ingest"}')).toBe(1);

    // Without a control worker the call's events wait in the outbox: nothing connects it.
    const { serverCallId } = await stack.simulator.placeCall({ from: ALICE, to: BOB, durationMs: 120_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    const connects = () =>
      stack.simulator.requests().filter((r) => r.operation === "connect" && r.serverCallId === serverCallId);
    expect(connects()).toEqual([]);
    expect(await metric("intake_outbox_entries")).toBeGreaterThan(0);

    const control = startRole("control");
    expect(control.workers.map((w) => w.name)).toEqual(["call-events", "control"]);
    await control.heartbeat.started;
    await eventually(
      () => (stack.simulator.getCall(serverCallId)?.recordings[0]?.state === "active" ? true : undefined),
      20_000,
      "the recording to start once a control worker runs",
    );
    expect(connects().map((r) => r.status)).toEqual([200]);
    expect(await readyz()).toMatchObject({ status: 200, checks: { workers: "ok" } });
    expect(await metric('workers_alive_by_role{role="control"}')).toBe(1);

    // The recording is archived by the ingest worker (the control worker runs no ingest queue).
    await new Promise((r) => setTimeout(r, 500));
    await stack.simulator.endCall(serverCallId);
    await eventually(
      async () => {
        for await (const blob of stack.runtime.container.listBlobsFlat())
          if (blob.name.includes(`/${safeSegment(serverCallId)}/`) && blob.name.endsWith(".wav")) return true;
        return undefined;
      },
      20_000,
      "the chunk archived",
    );

    // A role whose only worker stops is unserved again.
    await ingest.close();
    expect((await readyz()).checks.workers).toBe(
      "degraded: no worker alive serves ingest, retrieval: its queues wait (WORKER_ROLE)",
    );
  });
});
