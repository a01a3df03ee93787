import type { Config } from "../../../src/config/index.js";
import type { Logger } from "../../../src/log.js";
import { reconcileCalls, roleOfQueue, type WorkerRole } from "../../../src/queues/index.js";
import { reconciledCalls, reconcileRuns, reconcileUnreadable } from "../../../src/metrics.js";
import { ALERTING, STATUSES, storedOf } from "../../../src/reconcile/index.js";
import { defineJob, type JobDependencies } from "../../job.js";

/**
 * Periodic reconciliation (docs/reconciliation.md "The scheduled job"): the calls that started in the window
 * ending RECONCILE_LOG_DELAY_MINUTES ago, classified against ACS's own call logs. Every call incomplete or never
 * seen is alerted (each run, for as long as it stays so: a standing condition, not an event), as are records
 * that could not be read; the counts go to the metrics.
 */
async function perform(deps: JobDependencies<"reconcile" | "reconcileSchedule" | "reconcileReports">) {
  const to = new Date(Date.now() - deps.reconcileSchedule.logDelayMs);
  const window = { from: new Date(to.getTime() - deps.reconcileSchedule.windowMs), to };
  let run;
  try {
    run = await deps.reconcile(window);
  } catch (error) {
    reconcileRuns.inc({ result: "failed" });
    deps.logger.error(
      { err: error, alert: "reconcile-failed", window },
      "ALERT reconciliation against ACS's call logs did not run",
    );
    throw error;
  }
  await deps.reconcileReports.save(storedOf(run, new Date()));
  for (const status of STATUSES) reconciledCalls.set({ status }, run.counts[status]);
  reconcileUnreadable.set(run.problems.length);
  reconcileRuns.inc({ result: run.alerting ? "alerting" : "clean" });
  for (const call of run.calls)
    if (ALERTING.includes(call.status))
      deps.logger.error(
        {
          alert: `reconcile-${call.status}`,
          correlationId: call.correlationId,
          serverCallId: call.serverCallIds[0],
          teams: call.teams,
          startedAt: call.startedAt,
          detail: call.detail,
        },
        `ALERT call ${call.correlationId} ${call.status} by ACS's own call logs: ${call.detail}`,
      );
  if (run.problems.length > 0)
    deps.logger.error(
      { alert: "reconcile-unreadable", problems: run.problems.slice(0, 20), count: run.problems.length },
      `ALERT ${run.problems.length} record(s) of ACS's call logs could not be read`,
    );
  deps.logger.info({ window: run.window, counts: run.counts, outOfScope: run.outOfScope }, "reconciliation run");
  return { window: run.window, counts: run.counts, problems: run.problems.length };
}

export const reconcileCallsJob = defineJob(reconcileCalls, {
  needs: ["reconcile", "reconcileSchedule", "reconcileReports"],
  perform,
  schedule: { everyMs: (deps) => deps.reconcileSchedule.everyMs, payload: {} },
});

/**
 * Whether a worker starting with these settings must warn that reconciliation is off (docs/reconciliation.md "The
 * scheduled job"): in production, RECONCILE_EVERY_SECONDS at 0, and the process has the role that would schedule
 * `reconcile-calls` (its queue's) — so the warning comes from where the job would run, once per such process,
 * not from every worker of the deployment. Completeness is proven against ACS's own logs only when it runs.
 */
export function reconciliationOff(
  config: Pick<Config, "NODE_ENV" | "RECONCILE_EVERY_SECONDS">,
  roles: readonly WorkerRole[],
): boolean {
  return (
    config.NODE_ENV === "production" &&
    config.RECONCILE_EVERY_SECONDS === 0 &&
    roles.includes(roleOfQueue(reconcileCalls.queue))
  );
}

/** Logs the `reconciliation-off` alert when `reconciliationOff` says so; returns whether it did. */
export function warnIfReconciliationOff(
  logger: Pick<Logger, "warn">,
  config: Pick<Config, "NODE_ENV" | "RECONCILE_EVERY_SECONDS">,
  roles: readonly WorkerRole[],
): boolean {
  if (!reconciliationOff(config, roles)) return false;
  logger.warn(
    { alert: "reconciliation-off" },
    "reconciliation against ACS's call logs is off: set RECONCILE_EVERY_SECONDS (e.g. 3600) and its source (docs/reconciliation.md)",
  );
  return true;
}
