/**
 * Blob naming scheme (docs/archive.md):
 *   <team>/<yyyy>/<mm>/<dd>/<serverCallId>/<recordingId>/chunk-<index>.<ext>
 *   <team>/<yyyy>/<mm>/<dd>/<serverCallId>/<recordingId>/chunk-<index>.acsmetadata.json
 *   _quarantine/<yyyy>/<mm>/<dd>/<recordingId>/…   (a recording with no team: see placement.ts)
 * `<recordingId>` is the recording's own key (src/correlation recordingKeyOf). The date is the recording's start
 * (UTC). ACS ids are base64 and may hold '/', '+' and '=', which are mapped to their base64url form; any other
 * unsafe character is percent-encoded, so names stay reversible.
 */
export const QUARANTINE_AREA = "_quarantine";

export function safeSegment(value: string): string {
  const segment = value
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")
    .replace(/[^A-Za-z0-9._-]/g, (char) => encodeURIComponent(char).replace(/%/g, "~"));
  // "." and ".." are path steps in a blob URL (an id of ".." would climb out of its folder), and an id of
  // padding only would leave an empty segment: both are spelled out in the same ~XX form.
  if (segment === "." || segment === "..") return segment.replace(/\./g, "~2E");
  if (segment === "") return value.replace(/=/g, "~3D") || "~";
  return segment;
}

export function extensionFor(contentLocation: string): string {
  const kind = contentLocation.split("/").at(-1) ?? "";
  if (kind === "video") return "mp4";
  if (kind.includes("mp3")) return "mp3";
  if (kind.includes("wav")) return "wav";
  return "bin";
}

export interface ChunkNameInput {
  /** undefined: the quarantine area. */
  teamId: string | undefined;
  recordingStartTime: string;
  serverCallId: string | undefined;
  recordingId: string;
  chunkIndex: number;
  contentLocation: string;
}

export function recordingFolder(input: Omit<ChunkNameInput, "chunkIndex" | "contentLocation">): string {
  const start = new Date(input.recordingStartTime);
  const date = Number.isNaN(start.getTime()) ? new Date(0) : start;
  const yyyy = String(date.getUTCFullYear());
  const mm = String(date.getUTCMonth() + 1).padStart(2, "0");
  const dd = String(date.getUTCDate()).padStart(2, "0");
  if (input.teamId === undefined || input.serverCallId === undefined)
    return [QUARANTINE_AREA, yyyy, mm, dd, safeSegment(input.recordingId)].join("/");
  return [input.teamId, yyyy, mm, dd, safeSegment(input.serverCallId), safeSegment(input.recordingId)].join("/");
}

export function chunkBlobNames(input: ChunkNameInput): { content: string; metadata: string } {
  const base = `${recordingFolder(input)}/chunk-${String(input.chunkIndex).padStart(4, "0")}`;
  return { content: `${base}.${extensionFor(input.contentLocation)}`, metadata: `${base}.acsmetadata.json` };
}
