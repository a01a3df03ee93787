import { defineJobKind } from "../kind.js";
import { QueueName } from "../names.js";

/** Who asked for an export, as authenticated by the API (the job checks every recording against it again). */
export type ExportRequester = { name: string; role: "team"; team: string } | { name: string; role: "auditor" };

export interface ExportPayload {
  exportId: string;
  requestedBy: ExportRequester;
  requestedAt: string;
  /** The requester's address, for the chain of custody. */
  requestedFrom: string;
  /** The filters as requested (ISO times, numbers): recorded in the chain of custody. */
  selection: Record<string, string | number>;
  /** The team the export is scoped to (a team token's own team), or absent for an auditor's all-teams export. */
  team?: string;
  /** The requester's name for it (a case reference), recorded in the chain of custody. */
  label?: string;
  recordingIds: string[];
  target: { container: string; folder: string };
  /**
   * One zip file `<folder>/<export id>.zip` (docs/evidence.md "Bundles"), or the files in the folder. Absent in
   * jobs queued before bundles existed: a folder.
   */
  format?: "zip" | "folder";
}

/**
 * A QA/evidence export (docs/recordings-api.md "Exports"): the selection is fixed when it is requested. Its job id
 * is the export id the API hands out and looks the job up by. A retry resumes: files already copied and verified
 * are skipped.
 */
export const exportRecordings = defineJobKind<ExportPayload>()({
  name: "export-recordings",
  queue: QueueName.export,
  options: { attempts: 10, backoff: { type: "exponential", delay: 1_000 }, removeOnComplete: { age: 30 * 24 * 3600 } },
  id: (payload) => payload.exportId,
});
