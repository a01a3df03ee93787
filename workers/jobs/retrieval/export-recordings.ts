import { UnrecoverableError } from "bullmq";
import { latestCheckpoint } from "../../../src/evidence/index.js";
import { ExportTargetTaken, runExport, runZipExport, type ExportResult } from "../../../src/retrieval/index.js";
import { exportRecordings, type PayloadOf } from "../../../src/queues/index.js";
import { named, type DirectorySource } from "../../../src/directory/index.js";

const namesFrom = (directory: DirectorySource) => (recording: { team: string; participants: string[] }) =>
  Promise.all(recording.participants.map(async (id) => named(id, await directory.lookup(recording.team, id))));

type ExportProgressOf = Parameters<Parameters<typeof runExport>[0]["progress"]>[0];
import type { JobContext } from "../../dependencies.js";
import { defineJob, type JobDependencies } from "../../job.js";
import { checkpointAndReport } from "../operations/checkpoint-evidence.js";

/**
 * An evidence export (docs/recordings-api.md "Exports"): copies the selected recordings with their manifests,
 * verified against them, into the export container, then writes SHA256SUMS and the chain of custody.
 * Progress is reported per file; a retry (BullMQ, after a crash or a storage error) skips what is already
 * copied and verified. A job the API did not queue, or not as it queued it (another target, requester or
 * selection: jobs sit in Redis, where the queue board or anyone with Redis access could add or edit them), is
 * refused before anything is read or written, and alerted.
 */
const needs = [
  "exportRequests",
  "exportContainer",
  "container",
  "containerNamed",
  "recordings",
  "directory",
  "checkpointEvidence",
  "evidenceSigner",
  "ledgerChainEntries",
] as const;

async function perform(
  deps: JobDependencies<(typeof needs)[number]>,
  payload: PayloadOf<"export-recordings">,
  context?: JobContext,
): Promise<ExportResult> {
  const log = { exportId: payload.exportId, requestedBy: payload.requestedBy.name, attempt: context?.attempt ?? 1 };
  const problem = await deps.exportRequests.check(payload, deps.exportContainer);
  if (problem) {
    deps.logger.error(
      { ...log, target: payload.target, problem, alert: "export-job-refused" },
      "ALERT export job refused",
    );
    throw new UnrecoverableError(`export refused: ${problem}`);
  }
  deps.logger.info({ ...log, recordings: payload.recordingIds.length, target: payload.target }, "export started");
  // Every export is covered by a checkpoint of the ledger and audit chains as they stand now (docs/evidence.md). A
  // chain that cannot be checkpointed is alerted; the recordings are still exported, each verified on its own.
  await checkpointAndReport(deps, log).catch((err: unknown) =>
    deps.logger.error({ ...log, err, alert: "evidence-checkpoint" }, "ALERT no evidence checkpoint for the export"),
  );
  const ports = {
    source: deps.container,
    target: deps.containerNamed(deps.exportContainer),
    index: deps.recordings,
    progress: async (progress: ExportProgressOf) => context?.progress(progress),
    attempt: context?.attempt ?? 1,
    // The names as the directory has them now: an export says who was on each call as of the export.
    ...(deps.directory ? { names: namesFrom(deps.directory) } : {}),
  };
  const zipped = async () => {
    // A bundle is signed (bundle.json, its seal): without the evidence key it cannot be made; said, not skipped.
    if (!deps.evidenceSigner) throw new UnrecoverableError("a zip export needs the evidence signing key");
    return runZipExport(
      {
        ...ports,
        signer: deps.evidenceSigner,
        ledgerEntries: deps.ledgerChainEntries,
        latestLedgerCheckpoint: async () => (await latestCheckpoint(deps.container, "ledger"))?.checkpoint,
      },
      payload,
    );
  };
  const result = await (payload.format === "zip" ? zipped() : runExport(ports, payload)).catch((error: unknown) => {
    // Another blob where the bundle's record goes: retrying cannot help, and overwriting is not an option.
    if (!(error instanceof ExportTargetTaken)) throw error;
    deps.logger.error({ ...log, err: error, alert: "export-target-taken" }, "ALERT export stopped: target taken");
    throw new UnrecoverableError(error.message);
  });
  deps.logger[result.ok ? "info" : "error"](
    {
      ...log,
      ok: result.ok,
      filesCopied: result.filesCopied,
      filesSkipped: result.filesSkipped,
      bytesCopied: result.bytesCopied,
      problems: result.problems,
      ...(result.ok ? {} : { alert: "export-verification-failed" }),
    },
    result.ok ? "export completed and verified" : "ALERT export completed with files that failed verification",
  );
  return result;
}

export const exportRecordingsJob = defineJob(exportRecordings, { needs, perform });
