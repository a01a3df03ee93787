export {
  ALERTING,
  reconcile,
  STATUSES,
  type ArchivedRecording,
  type ReconcileInput,
  type ReconcileReport,
  type ReconcileStatus,
  type ReconciledCall,
  type RecordingCheck,
} from "./classify.js";
export {
  CALL_SUMMARY_CATEGORY,
  parseJsonLines,
  parseRecord,
  rawIdsOfIdentifier,
  RECORDING_SUMMARY_CATEGORY,
  type AcsLogRecord,
  type CallSummaryRecord,
  type ParsedRecord,
  type RecordingSummaryRecord,
} from "./records.js";
export {
  containerOf,
  hourFolder,
  hoursOf,
  storageSource,
  type ReconcileSource,
  type SourceRead,
  type TimeWindow,
} from "./source.js";
export { csvLines, describeCall, describeSummary } from "./format.js";
export { runReconciliation, type ReconcileDependencies, type ReconcileRun } from "./run.js";
export { logAnalyticsSource, QUERIES } from "./log-analytics-source.js";
export {
  createReconcileReports,
  forTeam,
  MAX_LISTED,
  storedOf,
  type ReconcileReports,
  type StoredReconciliation,
} from "./reports.js";
