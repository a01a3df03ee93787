export { type ReadManifest, readManifest, verifyRecording } from "./archive-reader.js";
export { exportFolder } from "./bundle.js";
export { type ExportRequests, createExportRequests } from "./export-requests.js";
export { type ExportResult, ExportTargetTaken, runExport } from "./export.js";
export { BundleWriter, bundleBlobName, runZipExport, type ZipExportPorts } from "./zip-export.js";
export { type BundleVerification, verifyBundleFile } from "./bundle-verify.js";
export { type Accept, type RecordingIndex, createRecordingIndex } from "./index-store.js";
export { indexManifest, manifestBlobs } from "./indexing.js";
export {
  type Cursor,
  type CursorCodec,
  cursorCodec,
  describeIssues,
  exportRequest,
  filtersOf,
  listQuery,
} from "./query.js";
export { parseRange } from "./range.js";
export { type SasMinter, createSasMinter } from "./sas.js";
export { type IndexedRecording, type RecordingFilters, directionOf, publicSummary } from "./summary.js";
export { signTicket, verifyTicket } from "./tickets.js";
export {
  audioOffset,
  buildTimeline,
  presenceChanges,
  type Presence,
  type TimelineEvent,
  type TimelineFacts,
  type TimelineKind,
} from "./timeline.js";
