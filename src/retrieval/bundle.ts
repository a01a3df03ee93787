/**
 * The layout and the records of an export bundle (pure): where each file goes, `SHA256SUMS`, and the chain of
 * custody — what was exported, who asked, when, and how every file verified.
 */
import type { NamedIdentity } from "../directory/index.js";
import type { ExportPayload } from "../queues/index.js";

/**
 * Where an export goes in the export container, always: `<team>/<export id>`, or `_all-teams/<export id>` for an
 * auditor's export of every team (no team id starts with "_"). Nobody chooses it, so no export can name another's
 * folder; export ids are random, and every file is written only if absent (src/retrieval/export.ts).
 */
export const exportFolder = (team: string | undefined, exportId: string) => `${team ?? "_all-teams"}/${exportId}`;
/** A file's path inside the bundle (relative to its folder): the archive's own layout under `recordings/`. */
export const bundlePath = (sourceBlob: string) =>
  /^https?:\/\//i.test(sourceBlob)
    ? // Sealed in a customer's container (docs/byos.md): under its host and path, the URL itself stays in `source`.
      `recordings/_customer/${decodeURIComponent(new URL(sourceBlob).host + new URL(sourceBlob).pathname)}`
    : `recordings/${sourceBlob}`;
export const SHA256SUMS = "SHA256SUMS";
export const CHAIN_OF_CUSTODY = "chain-of-custody.json";

export interface ExportedFile {
  kind: "manifest" | "chunk" | "metadata";
  chunk?: number;
  /** The archived blob it was copied from. */
  source: string;
  /** Its path in the bundle. */
  path: string;
  expectedSha256: string;
  /** What the bytes copied hashed to (null: the source was missing). */
  actualSha256: string | null;
  sizeBytes: number | null;
  ok: boolean;
  /** Copied by this attempt, or found copied and verified by an earlier one (an interrupted export resumed). */
  copiedBy: "this attempt" | "earlier attempt";
  verifiedAt: string | null;
  /** Why it is not ok, when that is not a missing source or a hash that differs. */
  problem?: string;
}

export interface ExportedRecording {
  recordingId: string;
  serverCallId: string | null;
  team: string | null;
  /** Who was on it, with the names the team's directory had at the time of the export (docs/directory.md). */
  people?: NamedIdentity[];
  ok: boolean;
  problems: string[];
  files: ExportedFile[];
}

export interface ExportProgress {
  recordingsDone: number;
  recordingsTotal: number;
  filesCopied: number;
  filesSkipped: number;
  bytesCopied: number;
}

/** `sha256sum -c` input: every verified file, paths relative to the bundle folder. */
export function sha256sums(recordings: ExportedRecording[]): string {
  return recordings
    .flatMap((r) => r.files)
    .filter((f) => f.ok && f.actualSha256)
    .map((f) => `${f.actualSha256}  ${f.path}`)
    .sort((a, b) => a.slice(66).localeCompare(b.slice(66)))
    .map((line) => `${line}\n`)
    .join("");
}

export function chainOfCustody(input: {
  payload: ExportPayload;
  recordings: ExportedRecording[];
  attempt: number;
  completedAt: string;
}) {
  const { payload, recordings } = input;
  return {
    bundleVersion: 1,
    exportId: payload.exportId,
    what: {
      ...(payload.label !== undefined ? { label: payload.label } : {}),
      selection: payload.selection,
      team: payload.team ?? null,
      recordings: recordings.length,
      files: recordings.reduce((n, r) => n + r.files.length, 0),
    },
    requestedBy: payload.requestedBy,
    requestedAt: payload.requestedAt,
    requestedFrom: payload.requestedFrom,
    target: payload.target,
    completedAt: input.completedAt,
    /** Attempts the job took (more than 1: it was interrupted and resumed). */
    attempts: input.attempt,
    ok: recordings.length > 0 && recordings.every((r) => r.ok),
    verification:
      "every file was SHA-256-hashed while copied and compared with the recording's manifest (chunks, metadata documents) or with the manifest hash recorded when the manifest was archived",
    recordings,
  };
}
