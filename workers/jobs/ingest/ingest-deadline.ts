import type { DeadlineStatus } from "../../../src/archive/index.js";
import { ingestDeadlineAlerts } from "../../../src/metrics.js";
import type { PayloadOf } from "../../../src/queues/index.js";
import type { JobDependencies } from "../../job.js";

/**
 * Raises a chunk's deadline alert (log with `alert`, metric), once per chunk and status whoever sees it
 * first: the ingest job while it runs, or the re-prioritising sweep while it waits. True if this call raised it.
 */
export async function alertChunkDeadline(
  deps: JobDependencies<"deadlineAlerts">,
  payload: PayloadOf<"ingest-chunk">,
  status: Exclude<DeadlineStatus, "ok">,
  seenWhile: "waiting" | "running",
): Promise<boolean> {
  const { serverCallId, correlationId, recordingId, chunk, acsExpiresAt } = payload;
  if (!(await deps.deadlineAlerts.claim({ serverCallId, recordingId, chunkIndex: chunk.index }, status))) return false;
  ingestDeadlineAlerts.inc({ status });
  deps.logger[status === "lost" ? "error" : "warn"](
    {
      serverCallId,
      correlationId,
      recordingId,
      chunk: chunk.index,
      alert: `ingest-${status}`,
      acsExpiresAt,
      seenWhile,
    },
    status === "lost"
      ? "ALERT recording chunk lost: ACS copy expired before it was archived"
      : "ALERT recording chunk at risk: ACS deletes it soon",
  );
  return true;
}
