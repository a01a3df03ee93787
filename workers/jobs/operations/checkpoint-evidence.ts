import { checkpointEvidence } from "../../../src/queues/index.js";
import type { Logger } from "../../../src/log.js";
import type { EvidenceCheckpointResults } from "../../dependencies.js";
import { defineJob, type JobDependencies } from "../../job.js";

type Outcome = EvidenceCheckpointResults[keyof EvidenceCheckpointResults];

/** One line per chain: what a checkpoint covers now, or an alert naming what stopped it. */
function summarise(outcome: Outcome): Record<string, unknown> {
  if (outcome.written) return { written: true, blob: outcome.blob, seq: outcome.checkpoint.seq };
  if (outcome.reason === "chain broken")
    return { written: false, reason: outcome.reason, seq: outcome.problem.seq, problem: outcome.problem.message };
  if (outcome.reason === "failed")
    return {
      written: false,
      reason: outcome.reason,
      error: String((outcome.error as Error)?.message ?? outcome.error),
    };
  return { written: false, reason: outcome.reason };
}

/**
 * Checkpoints both evidence chains and logs the result; a broken chain or a failed write is alerted (a broken
 * chain is never signed over: docs/evidence.md). Returns whether every chain is covered now. Used by the periodic
 * job and before every export, so that an export's ledger slice is covered by a checkpoint.
 */
export async function checkpointAndReport(
  deps: Pick<JobDependencies<"checkpointEvidence">, "checkpointEvidence"> & { logger: Logger },
  context: Record<string, unknown> = {},
): Promise<{ covered: boolean; chains: Record<string, Record<string, unknown>> }> {
  const results = await deps.checkpointEvidence();
  const chains: Record<string, Record<string, unknown>> = {};
  let covered = true;
  for (const [chain, outcome] of Object.entries(results)) {
    chains[chain] = summarise(outcome);
    const broken = !outcome.written && (outcome.reason === "chain broken" || outcome.reason === "failed");
    if (broken) {
      covered = false;
      deps.logger.error(
        { ...context, chain, ...chains[chain], alert: "evidence-checkpoint" },
        `ALERT evidence chain ${chain}: no checkpoint written (${outcome.reason})`,
      );
    } else deps.logger.info({ ...context, chain, ...chains[chain] }, "evidence checkpoint");
  }
  return { covered, chains };
}

async function perform(deps: JobDependencies<"checkpointEvidence">) {
  const result = await checkpointAndReport(deps);
  // A failed job shows on the board and in `recorder jobs failed`, besides the alert.
  if (!result.covered) throw new Error(`evidence checkpoint incomplete: ${JSON.stringify(result.chains)}`);
  return result;
}

export const checkpointEvidenceJob = defineJob(checkpointEvidence, {
  needs: ["checkpointEvidence"],
  perform,
  schedule: { everyMs: (deps) => deps.evidenceCheckpointEveryMs, payload: {} },
});
