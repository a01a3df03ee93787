import { describe, expect, it } from "vitest";
import { jobKinds } from "../src/queues/index.js";
import { createLogger } from "../src/log.js";
import type { WorkerDependencies } from "./dependencies.js";
import { dependenciesOf } from "./job.js";
import { workerJobs, type JobRegistry } from "./registry.js";

describe("job definitions", () => {
  it("cover every job kind exactly once, each with its own kind", () => {
    expect(Object.keys(workerJobs).sort()).toEqual(Object.keys(jobKinds).sort());
    for (const [name, job] of Object.entries(workerJobs))
      expect(job.kind).toBe(jobKinds[name as keyof typeof jobKinds]);
  });

  it("a job filed under another kind's name, or a kind left without its job, does not compile", () => {
    // @ts-expect-error start-recording's work filed as connect-call's
    const misfiled: JobRegistry = { ...workerJobs, "connect-call": workerJobs["start-recording"] };
    const { "sweep-gaps": _left, ...rest } = workerJobs;
    // @ts-expect-error sweep-gaps has no work
    const incomplete: JobRegistry = rest;
    expect([misfiled, incomplete]).toHaveLength(2);
  });

  it("a job is given the dependencies it declared and its logger, nothing else", () => {
    const logger = createLogger("silent", "test");
    const deps = {
      logger: createLogger("silent", "other"),
      sessions: { name: "sessions" },
      queues: { name: "queues" },
      acs: { name: "acs" },
      ledger: { name: "ledger" },
      container: { name: "container" },
    } as unknown as WorkerDependencies;
    const given = dependenciesOf(deps, ["sessions", "acs"], logger);
    expect(given).toEqual({ logger, sessions: deps.sessions, acs: deps.acs });
    expect("ledger" in given).toBe(false);
  });

  it("periodic jobs are the three sweeps and probes, each with its own interval", () => {
    const deps = {
      gapSweepEveryMs: 1,
      ingest: { prioritySweepEveryMs: 2 },
      healthSettings: { probeEveryMs: 3 },
      reconcileSchedule: { everyMs: 4 },
    } as unknown as WorkerDependencies;
    const scheduled = Object.values(workerJobs)
      .filter((job) => job.schedule)
      .map((job) => [job.kind.name, job.schedule?.everyMs(deps)]);
    expect(Object.fromEntries(scheduled)).toEqual({
      "sweep-gaps": 1,
      "sweep-ingest-deadlines": 2,
      "probe-storage": 3,
      "reconcile-calls": 4,
    });
  });

  it("successes that prove a dependency answers: the same four jobs as before", () => {
    const proves = Object.values(workerJobs)
      .filter((job) => job.proves)
      .map((job) => [job.kind.name, job.proves]);
    expect(Object.fromEntries(proves)).toEqual({
      "connect-call": "acs",
      "start-recording": "acs",
      "reject-call": "acs",
      "ingest-chunk": "storage",
    });
  });
});
