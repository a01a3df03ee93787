import { describe, expect, it } from "vitest";
import { metrics } from "../../../src/metrics.js";
import type { ReconcileRun, ReconciledCall, StoredReconciliation, TimeWindow } from "../../../src/reconcile/index.js";
import type { WorkerRole } from "../../../src/queues/index.js";
import { reconcileCallsJob, reconciliationOff, warnIfReconciliationOff } from "./reconcile-calls.js";

function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { lines, logger: { info: at("info"), error: at("error"), warn: at("warn") } as never };
}

const call = (correlationId: string, status: ReconciledCall["status"]): ReconciledCall => ({
  correlationId,
  status,
  teams: ["desk"],
  serverCallIds: status === "never-seen" ? [] : [`server-${correlationId}`],
  detail: `${status} detail`,
  recordings: [],
});

function run(calls: ReconciledCall[], problems: string[] = []): ReconcileRun {
  const counts = { verified: 0, exempt: 0, enforced: 0, incomplete: 0, "never-seen": 0 };
  for (const c of calls) counts[c.status]++;
  return {
    calls,
    counts,
    outOfScope: 0,
    window: { from: "", to: "" },
    problems,
    reads: 1,
    alerting: problems.length > 0 || counts.incomplete + counts["never-seen"] > 0,
  };
}

const saved: StoredReconciliation[] = [];
const schedule = { everyMs: 3_600_000, windowMs: 24 * 3_600_000, logDelayMs: 3_600_000 };
const gauge = async (status: string) =>
  (await metrics.getSingleMetric("reconcile_calls")?.get())?.values.find((v) => v.labels.status === status)?.value;

describe("the scheduled reconciliation", () => {
  it("covers the window ending the log delay ago, alerts each incomplete and never-seen call, and sets the gauges", async () => {
    const { lines, logger } = recordingLogger();
    const windows: TimeWindow[] = [];
    const before = Date.now();
    const result = await reconcileCallsJob.perform(
      {
        logger,
        reconcileSchedule: schedule,
        reconcileReports: { save: async (stored) => void saved.push(stored) },
        reconcile: async (window) => {
          windows.push(window);
          return run([call("a", "verified"), call("b", "incomplete"), call("c", "never-seen"), call("d", "exempt")]);
        },
      },
      {},
      { attempt: 1, progress: async () => {} },
    );
    const [window] = windows;
    expect(window!.to.getTime()).toBeGreaterThanOrEqual(before - schedule.logDelayMs);
    expect(window!.to.getTime()).toBeLessThanOrEqual(Date.now() - schedule.logDelayMs);
    expect(window!.to.getTime() - window!.from.getTime()).toBe(schedule.windowMs);
    expect(lines.filter((l) => l.level === "error").map((l) => [l.fields.alert, l.fields.correlationId])).toEqual([
      ["reconcile-incomplete", "b"],
      ["reconcile-never-seen", "c"],
    ]);
    expect(result.counts).toMatchObject({ verified: 1, incomplete: 1, "never-seen": 1, exempt: 1 });
    expect(await gauge("never-seen")).toBe(1);
    expect(await gauge("verified")).toBe(1);
    // Kept for the API: the calls that are not verified, with counts per team.
    expect(saved.at(-1)!.calls.map((c) => c.correlationId)).toEqual(["b", "c", "d"]);
    expect(saved.at(-1)!.countsByTeam.desk).toMatchObject({ verified: 1, incomplete: 1 });
  });

  it("alerts records it could not read, and a run that could not complete (which fails the job)", async () => {
    const { lines, logger } = recordingLogger();
    await reconcileCallsJob.perform(
      {
        logger,
        reconcileSchedule: schedule,
        reconcileReports: { save: async (stored) => void saved.push(stored) },
        reconcile: async () => run([], ["blob:3: not JSON"]),
      },
      {},
      { attempt: 1, progress: async () => {} },
    );
    expect(lines.filter((l) => l.level === "error").map((l) => l.fields.alert)).toEqual(["reconcile-unreadable"]);
    await expect(
      reconcileCallsJob.perform(
        {
          logger,
          reconcileSchedule: schedule,
          reconcileReports: { save: async (stored) => void saved.push(stored) },
          reconcile: async () => {
            throw new Error("storage away");
          },
        },
        {},
        { attempt: 1, progress: async () => {} },
      ),
    ).rejects.toThrow("storage away");
    expect(lines.at(-1)?.fields.alert).toBe("reconcile-failed");
  });

  it("is scheduled every RECONCILE_EVERY_SECONDS (0 turns it off: the runner skips it)", () => {
    expect(reconcileCallsJob.schedule?.everyMs({ reconcileSchedule: schedule } as never)).toBe(3_600_000);
  });
});

describe("the reconciliation-off warning at a worker's start", () => {
  type Env = "development" | "test" | "production";
  it.each<[Env, number, WorkerRole[], boolean]>([
    // Production, not scheduled, and the process schedules reconcile-calls (operations, or all): warn.
    ["production", 0, ["operations"], true],
    ["production", 0, ["control", "ingest", "retrieval", "operations"], true],
    ["production", 0, ["ingest", "retrieval", "operations"], true],
    // A process that would not schedule it says nothing: one warning per process that would run it.
    ["production", 0, ["control"], false],
    ["production", 0, ["ingest", "retrieval"], false],
    // Scheduled: nothing to say.
    ["production", 3600, ["operations"], false],
    ["production", 1, ["control", "ingest", "retrieval", "operations"], false],
    // Not production (development and tests run without ACS's logs): nothing to say.
    ["development", 0, ["operations"], false],
    ["test", 0, ["control", "ingest", "retrieval", "operations"], false],
  ])("NODE_ENV=%s RECONCILE_EVERY_SECONDS=%d roles %j: warn %s", (env, every, roles, warn) => {
    expect(reconciliationOff({ NODE_ENV: env, RECONCILE_EVERY_SECONDS: every }, roles)).toBe(warn);
  });

  it("logs the alert, once, when it must, and nothing otherwise", () => {
    const off = recordingLogger();
    expect(
      warnIfReconciliationOff(off.logger, { NODE_ENV: "production", RECONCILE_EVERY_SECONDS: 0 }, ["operations"]),
    ).toBe(true);
    expect(off.lines).toEqual([
      {
        level: "warn",
        fields: { alert: "reconciliation-off" },
        message: expect.stringContaining("set RECONCILE_EVERY_SECONDS") as unknown as string,
      },
    ]);
    const on = recordingLogger();
    expect(
      warnIfReconciliationOff(on.logger, { NODE_ENV: "production", RECONCILE_EVERY_SECONDS: 3600 }, ["operations"]),
    ).toBe(false);
    expect(on.lines).toEqual([]);
  });
});
