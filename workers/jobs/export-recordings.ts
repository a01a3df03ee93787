import { runExport, type ExportResult } from "../../src/retrieval/export.js";
import type { PayloadOf } from "../../src/queues/index.js";
import type { JobContext, WorkerDependencies } from "../dependencies.js";

/**
 * An evidence export (docs/recordings-api.md "Exports"): copies the selected recordings with their manifests,
 * verified against them, into the export container, then writes SHA256SUMS and the chain of custody.
 * Progress is reported per file; a retry (BullMQ, after a crash or a storage error) skips what is already
 * copied and verified.
 */
export async function perform(
  deps: WorkerDependencies,
  payload: PayloadOf<"export-recordings">,
  context?: JobContext,
): Promise<ExportResult> {
  const log = { exportId: payload.exportId, requestedBy: payload.requestedBy.name, attempt: context?.attempt ?? 1 };
  deps.logger.info({ ...log, recordings: payload.recordingIds.length, target: payload.target }, "export started");
  const result = await runExport(
    {
      source: deps.container,
      target: deps.containerNamed(payload.target.container),
      index: deps.recordings,
      progress: async (progress) => context?.progress(progress),
      attempt: context?.attempt ?? 1,
    },
    payload,
  );
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
