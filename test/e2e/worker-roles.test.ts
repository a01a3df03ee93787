// Worker roles (WORKER_ROLE, docs/operations.md "Worker roles"): a worker runs only the queues of its roles, and
// the webhook's /readyz says which role no worker serves. Workers in this process, one per role, on one stack.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { getPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerProcess } from "../../scripts/local-stack/processes.js";
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

    const ingest = startRole("ingest", "retrieval", "operations");
    expect(ingest.workers.map((w) => w.name)).toEqual(["ingest", "export", "operations"]);
    await ingest.heartbeat.started;
    expect(await readyz()).toMatchObject({
      status: 200,
      checks: { workers: "degraded: no worker alive serves control: its queues wait (WORKER_ROLE)" },
    });
    expect(await metric('workers_alive_by_role{role="control"}')).toBe(0);
    expect(await metric('workers_alive_by_role{role="ingest"}')).toBe(1);
    expect(await metric('workers_alive_by_role{role="operations"}')).toBe(1);

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
      "degraded: no worker alive serves ingest, retrieval, operations: its queues wait (WORKER_ROLE)",
    );
  });

  it("a worker without the control role lowers its CPU priority, every thread of it; a control worker does not", async () => {
    const logDir = await mkdtemp(join(tmpdir(), "worker-nice-"));
    /** The niceness of each thread of a process (/proc/<pid>/task/<tid>/stat, field 19). */
    const niceness = async (pid: number) => {
      const values = new Set<number>();
      for (const thread of await readdir(`/proc/${pid}/task`)) {
        const stat = await readFile(`/proc/${pid}/task/${thread}/stat`, "utf8").catch(() => "");
        if (stat) values.add(Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]));
      }
      return [...values];
    };
    const env = { ...stack.env, LOG_LEVEL: "info" };
    const ingest = await startWorkerProcess("nice-ingest", { ...env, WORKER_ROLE: "ingest,retrieval" }, logDir);
    const control = await startWorkerProcess("nice-control", { ...env, WORKER_ROLE: "control" }, logDir);
    try {
      // Started at this runner's niceness; the ingest worker goes to 10 (never up: lowering is all it may do).
      const started = getPriority();
      expect(await niceness(ingest.child.pid!)).toEqual([Math.max(10, started)]);
      expect(await niceness(control.child.pid!)).toEqual([started]);
    } finally {
      await Promise.all([ingest.stop(), control.stop()]);
      await rm(logDir, { recursive: true, force: true });
    }
  });
});
