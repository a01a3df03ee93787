import { LogsQueryClient } from "@azure/monitor-query-logs";
import { createBlobService, blobServiceFromEnvironment, defaultCredential } from "../azure/index.js";
import { loadPolicies } from "../policy/index.js";
import {
  csvLines,
  describeCall,
  describeSummary,
  logAnalyticsSource,
  runReconciliation,
  storageSource,
  type ReconcileDependencies,
  type ReconcileSource,
} from "../reconcile/index.js";
import { parseSince } from "./ledger-commands.js";
import type { Output } from "./policy-commands.js";
import { openLedger, openRetrievalStores } from "./queues.js";
import { readStackFile } from "./stack-file.js";

// `recorder reconcile`: every call in ACS's own logs with a team member on it, classified against the ledger and
// the archive (docs/reconciliation.md). Exit 1 when a call is incomplete or never seen, or records were unreadable.

export interface ReconcileOptions {
  since: string;
  until?: string;
  team?: string;
  json?: boolean;
  csv?: boolean;
}

export async function reconcileCommand(
  dependencies: ReconcileDependencies,
  options: ReconcileOptions,
  io: Output,
  now: Date = new Date(),
): Promise<number> {
  const from = parseSince(options.since, now);
  const to = options.until === undefined ? now : parseSince(options.until, now);
  if (!from || !to || from >= to) {
    io.err("--since / --until take an ISO 8601 time or a duration back from now (24h, 7d), --since before --until");
    return 2;
  }
  if (options.json && options.csv) {
    io.err("--json or --csv, not both");
    return 2;
  }
  if (options.team && !dependencies.policies.some((policy) => policy.team.id === options.team)) {
    io.err(`--team ${options.team}: no such team in the policies`);
    return 2;
  }
  const run = await runReconciliation(dependencies, { window: { from, to }, team: options.team });
  for (const problem of run.problems) io.err(`unreadable: ${problem}`);
  if (options.csv) for (const line of csvLines(run.calls)) io.out(line);
  else if (options.json) {
    for (const call of run.calls) io.out(JSON.stringify(call));
    const { calls: _calls, ...summary } = run;
    io.out(JSON.stringify({ summary }));
  } else {
    for (const call of run.calls) io.out(describeCall(call));
    io.out(describeSummary(run));
  }
  return run.alerting ? 1 : 0;
}

/** The ACS logs' storage account: RECONCILE_STORAGE_CONNECTION_STRING, else the archive's (BLOB_*), else the local stack's. */
async function logStorage(variables: Record<string, string | undefined>) {
  if (variables.RECONCILE_STORAGE_CONNECTION_STRING)
    return createBlobService({ kind: "key", connectionString: variables.RECONCILE_STORAGE_CONNECTION_STRING });
  const fromEnvironment = blobServiceFromEnvironment(variables);
  if (fromEnvironment) return fromEnvironment;
  const stack = await readStackFile().catch(() => {
    throw new Error(
      "Which storage holds ACS's logs? Set RECONCILE_STORAGE_CONNECTION_STRING (or BLOB_CONNECTION_STRING / BLOB_ACCOUNT_URL), or start the local stack with npm start.",
    );
  });
  return createBlobService({ kind: "key", connectionString: stack.blobConnectionString });
}

/** RECONCILE_SOURCE: the storage archive (default) or a Log Analytics workspace (RECONCILE_WORKSPACE_ID, Entra ID). */
async function sourceFrom(variables: Record<string, string | undefined>): Promise<ReconcileSource> {
  const kind = variables.RECONCILE_SOURCE ?? "storage";
  if (kind === "storage")
    return storageSource(await logStorage(variables), { resourceId: variables.RECONCILE_STORAGE_RESOURCE_ID });
  if (kind === "log-analytics") {
    const workspaceId = variables.RECONCILE_WORKSPACE_ID;
    if (!workspaceId) throw new Error("RECONCILE_WORKSPACE_ID is required with RECONCILE_SOURCE=log-analytics");
    return logAnalyticsSource(new LogsQueryClient(defaultCredential()), workspaceId);
  }
  throw new Error(`RECONCILE_SOURCE=${kind}: storage or log-analytics (docs/reconciliation.md "Sources")`);
}

const numberOr = (value: string | undefined, fallback: number, name: string) => {
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} must be a number ≥ 0`);
  return parsed;
};

/** What `recorder reconcile` reads, from the same variables the service has (docs/configuration.md). */
export async function openReconcileDependencies(
  variables: Record<string, string | undefined> = process.env,
): Promise<{ dependencies: ReconcileDependencies; close(): void }> {
  const source = await sourceFrom(variables);
  const policies = await loadPolicies(variables.POLICY_DIR ?? "policies");
  const ledger = await openLedger(variables);
  const retrieval = await openRetrievalStores(variables).catch((error: unknown) => {
    ledger.close();
    throw error;
  });
  return {
    dependencies: {
      source,
      ledgerSince: (since) => ledger.ledger.since(since),
      archived: async (recordingId) => {
        const found = await retrieval.index.get(recordingId);
        return found && { chunkCount: found.chunkCount, durationSeconds: found.durationSeconds };
      },
      policies,
      toleranceSeconds: numberOr(
        variables.RECONCILE_DURATION_TOLERANCE_SECONDS,
        2,
        "RECONCILE_DURATION_TOLERANCE_SECONDS",
      ),
      logDelayMs: numberOr(variables.RECONCILE_LOG_DELAY_MINUTES, 60, "RECONCILE_LOG_DELAY_MINUTES") * 60_000,
    },
    close() {
      ledger.close();
      retrieval.close();
    },
  };
}
