export { factsOfEvent, recordingUpdateOf } from "./events.js";
export { ingestJobsOf, recordingCluesOf, type IngestJob, type RecordingClues } from "./ingest-jobs.js";
export {
  dueActions,
  needsHealth,
  planCall,
  timeToRecordOrigin,
  type CallPlan,
  type PlannedJob,
  type Ringing,
} from "./plan.js";
export { pauseVerdict, type PauseJob, type PauseOperation, type PauseVerdict } from "./pause.js";
